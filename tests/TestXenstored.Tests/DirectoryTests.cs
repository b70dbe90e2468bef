using System.Linq;
using Xunit;

namespace TestXenstored.Tests;

public class DirectoryTests
{
    [Fact]
    public void InitialTreeIsLocalDomainAndTool()
    {
        using var xs = new ServerScope();
        Assert.Equal(["local", "tool"], xs.Succeed("list", "/").Split('\n', System.StringSplitOptions.RemoveEmptyEntries).Order());
        Assert.Equal("domain\n", xs.Succeed("list", "/local"));
        Assert.Equal("", xs.Succeed("list", "/local/domain"));
    }

    [Fact]
    public void LsShowsTheSubtreeWithValues()
    {
        using var xs = new ServerScope();
        xs.Succeed("write", "/vm/1/name", "a", "/vm/1/uuid", "u", "/vm/2", "x");
        string ls = xs.Succeed("ls", "/vm");
        string[] lines = ls.Split('\n', System.StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["1 = \"\"", " name = \"a\"", " uuid = \"u\"", "2 = \"x\""], lines);
    }

    [Fact]
    public void LsWithPermissionsShowsThem()
    {
        using var xs = new ServerScope();
        xs.Succeed("write", "/p/node", "v");
        xs.Succeed("chmod", "/p/node", "n1", "r0");
        string line = xs.Succeed("ls", "-p", "/p").Trim();
        Assert.StartsWith("node = \"v\"", line);
        Assert.EndsWith("(n1,r0)", line);
    }

    [Fact]
    public void ListingAMissingNodeFails()
    {
        using var xs = new ServerScope();
        ToolResult ls = xs.Tool("ls", "/missing");
        Assert.NotEqual(0, ls.ExitCode);
        Assert.Contains("No such file or directory", ls.Stderr);
        Assert.NotEqual(0, xs.Tool("list", "/missing").ExitCode);
    }

    [Fact]
    public void ExistsExitCodeSaysWhetherTheNodeExists()
    {
        using var xs = new ServerScope();
        xs.Server.Write("/here", "");
        Assert.Equal(0, xs.Tool("exists", "/here").ExitCode);
        Assert.Equal(1, xs.Tool("exists", "/not-here").ExitCode);
        Assert.True(xs.Server.Exists("/here"));
        Assert.False(xs.Server.Exists("/not-here"));
    }

    [Fact]
    public void ListTooLongForOneReplyComesInParts()
    {
        using var xs = new ServerScope();
        // 300 names of 20 bytes: 6300 bytes, over the 4096-byte payload, so DIRECTORY answers E2BIG
        // and libxenstore pages through DIRECTORY_PART.
        string[] names = Enumerable.Range(0, 300).Select(i => $"child-{i:D5}-padding-x").ToArray();
        foreach (string name in names)
            xs.Server.Write("/wide/" + name, "");
        using (RawClient client = xs.Connect())
            Assert.Equal("E2BIG", client.ErrorOf(XsdType.Directory, 0, "/wide"));

        string[] listed = xs.Succeed("list", "/wide").Split('\n', System.StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(names.Order(), listed.Order());
    }

    [Fact]
    public void DirectoryPartPagesByByteOffsetAndMarksTheEnd()
    {
        using var xs = new ServerScope();
        xs.Server.Write("/d/ab", "");
        xs.Server.Write("/d/cde", "");
        using RawClient client = xs.Connect();
        string whole = client.Request(XsdType.DirectoryPart, RawClient.Strings("/d", "0")).Raw;
        string generation = whole[..whole.IndexOf('\0')];
        Assert.True(long.Parse(generation) > 0);
        // The generation, the names from the offset, and one more NUL: the list is complete.
        Assert.Equal($"{generation}\0ab\0cde\0\0", whole);
        Assert.Equal($"{generation}\0cde\0\0", client.Request(XsdType.DirectoryPart, RawClient.Strings("/d", "3")).Raw);
        Assert.Equal($"{generation}\0\0", client.Request(XsdType.DirectoryPart, RawClient.Strings("/d", "99")).Raw);
    }
}
