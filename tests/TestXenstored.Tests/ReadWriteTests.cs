using System.Text;
using Xunit;

namespace TestXenstored.Tests;

public class ReadWriteTests
{
    [Fact]
    public void WrittenValueReadsBack()
    {
        using var xs = new ServerScope();
        xs.Succeed("write", "/vm/name", "guest-1");
        Assert.Equal("guest-1\n", xs.Succeed("read", "/vm/name"));
        Assert.Equal("guest-1", xs.Server.Read("/vm/name"));
    }

    [Fact]
    public void OneWriteSetsEveryPair()
    {
        using var xs = new ServerScope();
        xs.Succeed("write", "/backend/a", "1", "/backend/b", "two", "/other/c", "");
        Assert.Equal("1\ntwo\n\n", xs.Succeed("read", "/backend/a", "/backend/b", "/other/c"));
    }

    [Fact]
    public void WriteCreatesMissingParentsWithEmptyValues()
    {
        using var xs = new ServerScope();
        xs.Succeed("write", "/a/b/c", "leaf");
        Assert.Equal("", xs.Server.Read("/a"));
        Assert.Equal("", xs.Server.Read("/a/b"));
        Assert.Equal(["c"], xs.Server.List("/a/b"));
    }

    [Fact]
    public void RelativePathsAreBelowDom0Home()
    {
        using var xs = new ServerScope();
        xs.Succeed("write", "device/vbd/51712/state", "4");
        Assert.Equal("4", xs.Server.Read("/local/domain/0/device/vbd/51712/state"));
        Assert.Equal("4\n", xs.Succeed("read", "/local/domain/0/device/vbd/51712/state"));
        xs.Server.Write("/local/domain/0/name", "Domain-0");
        Assert.Equal("Domain-0\n", xs.Succeed("read", "name"));
    }

    [Fact]
    public void ReadingAMissingNodeFailsWithItsPath()
    {
        using var xs = new ServerScope();
        ToolResult read = xs.Tool("read", "/no/such/node");
        Assert.NotEqual(0, read.ExitCode);
        Assert.Contains("couldn't read path /no/such/node", read.Stderr);

        using RawClient client = xs.Connect();
        Assert.Equal("ENOENT", client.ErrorOf(XsdType.Read, 0, "/no/such/node"));
    }

    [Fact]
    public void ValuesAreRawBytesWithoutTrailingNul()
    {
        using var xs = new ServerScope();
        using RawClient client = xs.Connect();
        byte[] value = [0, 1, 0xff, (byte)'x'];
        Reply write = client.Request(XsdType.Write, [.. RawClient.Strings("/bin"), .. value]);
        Assert.Equal(XsdType.Write, write.Type);
        Assert.Equal("OK\0", Encoding.Latin1.GetString(write.Payload));
        Assert.Equal(value, client.Request(XsdType.Read, RawClient.Strings("/bin")).Payload);
    }

    [Fact]
    public void ExistingValueIsReplacedAndChildrenKept()
    {
        using var xs = new ServerScope();
        xs.Succeed("write", "/n", "old", "/n/child", "c");
        xs.Succeed("write", "/n", "new");
        Assert.Equal("new", xs.Server.Read("/n"));
        Assert.Equal("c", xs.Server.Read("/n/child"));
    }

    [Fact]
    public void MkdirCreatesAnEmptyNodeAndLeavesAnExistingOne()
    {
        using var xs = new ServerScope();
        using RawClient client = xs.Connect();
        Assert.Equal("OK", client.Call(XsdType.Mkdir, 0, "/made/here"));
        Assert.Equal("", xs.Server.Read("/made/here"));
        xs.Server.Write("/made/here", "kept");
        Assert.Equal("OK", client.Call(XsdType.Mkdir, 0, "/made/here"));
        Assert.Equal("kept", xs.Server.Read("/made/here"));
    }
}
