using BlockDiskseq.DeviceMapper;
using BlockDiskseq.Devices;
using BlockDiskseq.Reporting;
using Xunit;

namespace BlockDiskseq.Tests.DeviceMapper;

/// <summary>What runs here without dm-mod: absence is a value, a missing control node a clear failure.</summary>
public class DmNodeTests
{
    [Fact]
    public void AMissingDmDeviceIsNull()
    {
        Assert.Null(DmNode.TryOpen(new DeviceNumber(253, 0xffff0)));
    }

    [Fact]
    public void AMissingControlNodeSaysWhatToLoad()
    {
        var e = Assert.Throws<HotplugFailure>(() => DmControlNode.Open("/nonexistent/mapper/control"));
        Assert.Equal("device-mapper is not available: /nonexistent/mapper/control does not exist (is dm-mod loaded?)", e.Message);
    }

    [Fact]
    public void SomethingElseIsNotAControlNode()
    {
        var e = Assert.Throws<HotplugFailure>(() => DmControlNode.Open("/dev/null"));
        Assert.Equal("/dev/null is a character device 1:3, not the device-mapper control node a:ec", e.Message);
    }
}
