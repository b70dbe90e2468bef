using BlockDiskseq.Backend;
using Xunit;

namespace BlockDiskseq.Tests.Backend;

public class BackendPathTests
{
    [Fact]
    public void RelativePathAsLibxlPassesIt()
    {
        Assert.True(BackendPath.TryParse("backend/vbd/12/51712", out BackendPath? be));
        Assert.Null(be.BackendDomainId);
        Assert.Equal(12u, be.FrontendId);
        Assert.Equal(51712u, be.DeviceId);
        Assert.Equal("backend/vbd/12/51712/params", be.Node("params"));
        Assert.Equal("backend/vbd", be.VbdDirectory);
        Assert.Equal("error/backend/vbd/12/51712/error", be.BlkbackErrorNode);
        Assert.Equal("vbd-12-51712", be.SysfsDeviceName);
    }

    [Fact]
    public void AbsolutePathNamesTheBackendDomain()
    {
        Assert.True(BackendPath.TryParse("/local/domain/3/backend/vbd/0/768", out BackendPath? be));
        Assert.Equal(3u, be.BackendDomainId);
        Assert.Equal(0u, be.FrontendId);
        Assert.Equal(768u, be.DeviceId);
        Assert.Equal("/local/domain/3/backend/vbd", be.VbdDirectory);
        Assert.Equal("/local/domain/3/error/backend/vbd/0/768/error", be.BlkbackErrorNode);
        Assert.Equal("/local/domain/3/backend/vbd/7/51728", be.Sibling(7, 51728).Path);
    }

    [Theory]
    [InlineData("")]
    [InlineData("backend/vbd/1")]
    [InlineData("backend/vbd/1/51712/")]
    [InlineData("backend/vbd/1/51712/x")]
    [InlineData("/backend/vbd/1/51712")]
    [InlineData("backend/vif/1/0")]
    [InlineData("backend/vbd3/1/51712")]
    [InlineData("backend/vbd/01/51712")]
    [InlineData("backend/vbd/1/051712")]
    [InlineData("backend/vbd/-1/51712")]
    [InlineData("backend/vbd/+1/51712")]
    [InlineData("backend/vbd/1/ 51712")]
    [InlineData("backend/vbd/x/51712")]
    [InlineData("backend/vbd/32752/51712")]
    [InlineData("backend/vbd/1/4294967296")]
    [InlineData("backend//vbd/1/51712")]
    [InlineData("/local/domain/backend/vbd/1/51712")]
    [InlineData("/local/domain/0/backend/vbd/1")]
    [InlineData("/local/domains/0/backend/vbd/1/51712")]
    [InlineData("/local/domain/00/backend/vbd/1/51712")]
    [InlineData("local/domain/0/backend/vbd/1/51712")]
    [InlineData("backend/vbd/1/51712\n")]
    public void RejectsAnythingElse(string text)
        => Assert.False(BackendPath.TryParse(text, out _));

    [Fact]
    public void LargestValuesFit()
    {
        Assert.True(BackendPath.TryParse("backend/vbd/32751/4294967295", out BackendPath? be));
        Assert.Equal(4294967295u, be.DeviceId);
    }
}
