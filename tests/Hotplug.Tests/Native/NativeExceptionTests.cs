using BlockDiskseq.Native;
using Xunit;

namespace BlockDiskseq.Tests.Native;

public class NativeExceptionTests
{
    [Fact]
    public void MessageNamesCallObjectAndErrno()
    {
        var e = new NativeException("ioctl(LOOP_CONFIGURE)", "/dev/loop7", LibC.EBUSY);
        Assert.Equal("ioctl(LOOP_CONFIGURE) on /dev/loop7: Device or resource busy (EBUSY)", e.Message);
        Assert.Equal(LibC.EBUSY, e.Errno);
    }

    [Fact]
    public void FailedOpenCarriesErrnoAndLeavesNoHandle()
    {
        using SafeFd fd = LibC.open("/nonexistent/block-diskseq-test", LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
        var e = Assert.Throws<NativeException>(() => NativeException.Check(fd, "open", "/nonexistent/block-diskseq-test"));
        Assert.Equal(LibC.ENOENT, e.Errno);
        Assert.EndsWith("No such file or directory (ENOENT)", e.Message);
    }

    [Fact]
    public void ErrnoNamesComeFromTheCLibraryIncludingEopnotsupp()
    {
        // A throwaway COW on a filesystem without O_TMPFILE fails with 95; the hand-written table printed "errno 95".
        var e = new NativeException("open(O_TMPFILE)", "/var/tmp", LibC.EOPNOTSUPP);
        Assert.Equal("open(O_TMPFILE) on /var/tmp: Operation not supported (EOPNOTSUPP)", e.Message);
        Assert.Equal("ETIMEDOUT", LibC.ErrnoName(LibC.ETIMEDOUT));
    }

    [Fact]
    public void AnUnknownErrnoIsShownAsANumber()
        => Assert.Equal("errno 4000", LibC.ErrnoName(4000));
}
