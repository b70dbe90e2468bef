using Xunit;

namespace XenstoreInterop.Tests;

public sealed class XenstoreExceptionTests
{
    [Fact]
    public void Message_NamesCallPathErrorAndErrnoName()
    {
        var e = new XenstoreException("xs_read", "backend/vbd/1/51712/params", 2);
        Assert.Equal("xs_read backend/vbd/1/51712/params: No such file or directory (ENOENT)", e.Message);
        Assert.Equal((2, "xs_read", "backend/vbd/1/51712/params"), (e.Errno, e.Call, e.Path));
    }

    [Fact]
    public void Message_WithoutPath_WithDetail()
    {
        var e = new XenstoreException("xs_transaction_end", null, 11, "after 3 attempts");
        Assert.Equal("xs_transaction_end: Resource temporarily unavailable (EAGAIN) after 3 attempts", e.Message);
    }

    [Fact]
    public void Message_UnknownErrno_ShowsItsNumber()
    {
        Assert.EndsWith("(errno 4242)", new XenstoreException("xs_read", "/x", 4242).Message);
    }
}
