using System;
using System.Linq;
using Xunit;

namespace XenstoreInterop.Tests;

[Collection(XenstoredPathCollection.Name)]
public sealed class XenstoreNodeTests : ConnectedTests
{
    private const int ENOENT = 2;
    private const int EINVAL = 22;

    [Fact]
    public void Write_ThenRead_ReturnsValueAndServerHasIt()
    {
        Client.Write("/test/a/b", "hello");

        Assert.Equal("hello", Client.Read("/test/a/b"));
        Assert.Equal("hello", Server.Read("/test/a/b"));
        Assert.Equal("", Server.Read("/test/a"));  // the daemon creates missing parents
    }

    [Fact]
    public void Read_Utf8Value_DecodesIt()
    {
        Server.Write("/test/name", "grüße ✓");
        Assert.Equal("grüße ✓", Client.Read("/test/name"));
    }

    [Fact]
    public void TryRead_MissingNode_ReturnsNull()
    {
        Assert.Null(Client.TryRead("/test/missing"));
        Assert.Null(Client.TryReadBytes("/test/missing"));
    }

    [Fact]
    public void Read_MissingNode_ThrowsEnoentNamingPath()
    {
        var e = Assert.Throws<XenstoreException>(() => Client.Read("/test/missing"));
        Assert.Equal(ENOENT, e.Errno);
        Assert.Equal("xs_read /test/missing: No such file or directory (ENOENT)", e.Message);
    }

    [Fact]
    public void TryReadBytes_ValueWithNul_ReturnsEveryByte()
    {
        Client.Write("/test/raw", "a\0b");
        Assert.Equal(new byte[] { (byte)'a', 0, (byte)'b' }, Client.TryReadBytes("/test/raw"));
    }

    [Fact]
    public void TryList_ReturnsChildNamesOrNull()
    {
        Server.Write("/test/dir/x", "1");
        Server.Write("/test/dir/y/z", "2");

        Assert.Equal(new[] { "x", "y" }, Client.TryList("/test/dir")!.Order(StringComparer.Ordinal));
        Assert.Empty(Client.TryList("/test/dir/x")!);
        Assert.Null(Client.TryList("/test/missing"));
    }

    [Fact]
    public void Exists_TellsPresentFromAbsent()
    {
        Server.Write("/test/present", "");
        Assert.True(Client.Exists("/test/present"));
        Assert.False(Client.Exists("/test/absent"));
    }

    [Fact]
    public void Remove_ExistingSubtree_RemovesItAndReturnsTrue()
    {
        Server.Write("/test/tree/leaf", "1");

        Assert.True(Client.TryDelete("/test/tree"));
        Assert.False(Server.Exists("/test/tree/leaf"));
        Assert.False(Server.Exists("/test/tree"));
    }

    [Fact]
    public void Remove_MissingNode_ReturnsFalse()
    {
        Server.Write("/test/parent", "");
        Assert.False(Client.TryDelete("/test/parent/missing"));  // the daemon would answer OK
        Assert.False(Client.TryDelete("/test/no/parent"));       // the daemon would answer ENOENT
    }

    [Fact]
    public void Delete_RemovesASubtreeInOneRequest()
    {
        Server.Write("/test/gone/leaf", "1");
        long before = Server.RequestCount;

        Client.Delete("/test/gone");

        Assert.Equal(1, Server.RequestCount - before);
        Assert.False(Server.Exists("/test/gone"));
    }

    [Fact]
    public void Delete_MissingNodeOrParent_IsNotAnError()
    {
        Server.Write("/test/parent", "");
        Client.Delete("/test/parent/missing");  // the daemon answers OK
        Client.Delete("/test/no/parent");       // the daemon answers ENOENT
        Assert.True(Server.Exists("/test/parent"));
    }

    [Fact]
    public void Mkdir_CreatesEmptyNodeAndKeepsExistingValue()
    {
        Server.Write("/test/kept", "value");

        Client.Mkdir("/test/made");
        Client.Mkdir("/test/kept");

        Assert.Equal("", Server.Read("/test/made"));
        Assert.Equal("value", Server.Read("/test/kept"));
    }

    [Fact]
    public void RelativePaths_ResolveUnderDom0Home()
    {
        Client.Write("xsi/relative", "r");

        Assert.Equal("r", Server.Read("/local/domain/0/xsi/relative"));
        Assert.Equal("r", Client.Read("xsi/relative"));
        Assert.Equal(new[] { "relative" }, Client.TryList("xsi"));
        Assert.True(Client.TryDelete("xsi"));
        Assert.False(Server.Exists("/local/domain/0/xsi"));
    }

    [Fact]
    public void GetDomainPath_ReturnsDomainHome()
    {
        Assert.Equal("/local/domain/7", Client.GetDomainPath(7));
    }

    [Fact]
    public void Write_InvalidPath_ThrowsEinvalNamingPath()
    {
        var e = Assert.Throws<XenstoreException>(() => Client.Write("/test/no spaces", "x"));
        Assert.Equal(("xs_write", "/test/no spaces", EINVAL), (e.Call, e.Path, e.Errno));
    }

    [Fact]
    public void PathWithNul_IsRejectedBeforeLibxenstore()
    {
        Assert.Throws<ArgumentException>(() => Client.Write("/test/a\0b", "x"));
        Assert.False(Server.Exists("/test/a"));
    }
}
