using Xunit;

namespace TestXenstored.Tests;

public class PermissionTests
{
    [Fact]
    public void ChmodSetsThePermissionListAndGetPermsReadsItBack()
    {
        using var xs = new ServerScope();
        xs.Succeed("write", "/backend/vbd/1/51712/state", "1");
        xs.Succeed("chmod", "/backend/vbd/1/51712", "n0", "r1", "b5");
        using RawClient client = xs.Connect();
        Assert.Equal("n0\0r1\0b5", client.Call(XsdType.GetPerms, 0, "/backend/vbd/1/51712"));
        Assert.Equal("n0", client.Call(XsdType.GetPerms, 0, "/backend/vbd/1/51712/state"));
    }

    [Fact]
    public void NewNodesInheritTheirParentsPermissions()
    {
        using var xs = new ServerScope();
        xs.Succeed("write", "/fe", "");
        xs.Succeed("chmod", "/fe", "w3", "r0");
        xs.Succeed("write", "/fe/a/b", "v");
        using RawClient client = xs.Connect();
        Assert.Equal("w3\0r0", client.Call(XsdType.GetPerms, 0, "/fe/a"));
        Assert.Equal("w3\0r0", client.Call(XsdType.GetPerms, 0, "/fe/a/b"));
    }

    [Fact]
    public void RootAndInitialNodesAreOwnedByDom0()
    {
        using var xs = new ServerScope();
        using RawClient client = xs.Connect();
        Assert.Equal("n0", client.Call(XsdType.GetPerms, 0, "/"));
        Assert.Equal("n0", client.Call(XsdType.GetPerms, 0, "/local/domain"));
    }

    [Theory]
    [InlineData("x1")]
    [InlineData("r")]
    [InlineData("r-1")]
    [InlineData("r 1")]
    [InlineData("r99999999999")]
    public void MalformedPermissionIsEINVAL(string permission)
    {
        using var xs = new ServerScope();
        xs.Server.Write("/p", "");
        using RawClient client = xs.Connect();
        Assert.Equal("EINVAL", client.ErrorOf(XsdType.SetPerms, 0, "/p", permission));
        Assert.Equal("n0", client.Call(XsdType.GetPerms, 0, "/p"));
    }

    [Fact]
    public void SetPermsNeedsAtLeastOneEntryAndAnExistingNode()
    {
        using var xs = new ServerScope();
        using RawClient client = xs.Connect();
        Assert.Equal("EINVAL", client.ErrorOf(XsdType.SetPerms, 0, "/tool"));
        Assert.Equal("ENOENT", client.ErrorOf(XsdType.SetPerms, 0, "/absent", "r0"));
        Assert.Equal("ENOENT", client.ErrorOf(XsdType.GetPerms, 0, "/absent"));
    }
}
