using Xunit;

namespace TestXenstored.Tests;

public class RemoveTests
{
    [Fact]
    public void RmRemovesTheWholeSubtree()
    {
        using var xs = new ServerScope();
        xs.Succeed("write", "/t/a/b/c", "1", "/t/a/d", "2", "/t/keep", "3");
        xs.Succeed("rm", "/t/a");
        Assert.False(xs.Server.Exists("/t/a"));
        Assert.False(xs.Server.Exists("/t/a/b/c"));
        Assert.Equal(["keep"], xs.Server.List("/t"));
    }

    [Fact]
    public void RemovingAnAbsentNodeIsFineIfItsParentExists()
    {
        using var xs = new ServerScope();
        xs.Server.Write("/parent", "");
        Assert.Equal(0, xs.Tool("rm", "/parent/absent").ExitCode);
        using RawClient client = xs.Connect();
        Assert.Equal("OK", client.Call(XsdType.Rm, 0, "/parent/absent"));
    }

    [Fact]
    public void RemovingBelowAMissingParentIsENOENT()
    {
        using var xs = new ServerScope();
        ToolResult rm = xs.Tool("rm", "/gone/child");
        Assert.NotEqual(0, rm.ExitCode);
        Assert.Contains("could not remove path /gone/child", rm.Stderr);
        using RawClient client = xs.Connect();
        Assert.Equal("ENOENT", client.ErrorOf(XsdType.Rm, 0, "/gone/child"));
    }

    [Fact]
    public void RemovingTheRootIsEINVAL()
    {
        using var xs = new ServerScope();
        using RawClient client = xs.Connect();
        Assert.Equal("EINVAL", client.ErrorOf(XsdType.Rm, 0, "/"));
        Assert.True(xs.Server.Exists("/local/domain"));
    }

    [Fact]
    public void InProcessRemoveOfAbsentNodeDoesNothing()
    {
        using var xs = new ServerScope();
        xs.Server.Remove("/never/was");
        xs.Server.Write("/x/y", "1");
        xs.Server.Remove("/x");
        Assert.False(xs.Server.Exists("/x"));
        Assert.True(xs.Server.Exists("/tool"));
    }
}
