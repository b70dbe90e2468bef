using BlockDiskseq.Devices;
using BlockDiskseq.Reporting;
using Xunit;

namespace BlockDiskseq.Tests.Devices;

public class DiskTargetTests
{
    [Theory]
    [InlineData("/var/lib/xen/images/vm.img", "/var/lib/xen/images/vm.img")]
    [InlineData("/dev/vg/lv", "/dev/vg/lv")]
    [InlineData("/dev/disk/by-id/wwn-0x5000c500a1b2c3d4", "/dev/disk/by-id/wwn-0x5000c500a1b2c3d4")]
    [InlineData("/dev/mapper/vg-lv", "/dev/mapper/vg-lv")]
    [InlineData("/images/a b.img", "/images/a b.img")]
    [InlineData("/images/..hidden", "/images/..hidden")]
    [InlineData("sdb", "/dev/sdb")]                       // Xen's expand_dev
    [InlineData("vg/lv", "/dev/vg/lv")]
    [InlineData("mapper/vg-lv", "/dev/mapper/vg-lv")]
    [InlineData("disk/by-label/data", "/dev/disk/by-label/data")]
    public void AcceptsAbsolutePathsAndDeviceNames(string parameters, string expected)
        => Assert.Equal(expected, DiskTarget.Parse(parameters).Path);

    [Theory]
    [InlineData("", "params is empty")]
    [InlineData("\n", "contains a control character")]
    [InlineData("/images/a\nb", "contains a control character")]
    [InlineData("/images/a\0b", "contains a control character")]
    [InlineData("sd\u0001b", "contains a control character")]
    [InlineData("/images/a\u007f", "contains a control character")]
    [InlineData("/images/a\tb", "contains a control character")]
    [InlineData(".", "has a \".\" path component")]
    [InlineData("..", "has a \"..\" path component")]
    [InlineData("./x", "has a \".\" path component")]
    [InlineData("../x", "has a \"..\" path component")]
    [InlineData("../../etc/shadow", "has a \"..\" path component")]
    [InlineData("vg/../lv", "has a \"..\" path component")]
    [InlineData("/dev/../etc/shadow", "has a \"..\" path component")]
    [InlineData("/images/./vm.img", "has a \".\" path component")]
    [InlineData("/images/..", "has a \"..\" path component")]
    [InlineData("x/.", "has a \".\" path component")]
    [InlineData("sdb/", "ends with \"/\"")]
    [InlineData("/dev/sdb/", "ends with \"/\"")]
    [InlineData("/", "ends with \"/\"")]
    [InlineData("//dev/sdb", "has an empty path component")]
    [InlineData("/dev//sdb", "has an empty path component")]
    [InlineData("vg//lv", "has an empty path component")]
    [InlineData("/dev/mapper/control", "is the device-mapper control node")]
    [InlineData("mapper/control", "is the device-mapper control node")]
    [InlineData("/dev/mapper/.", "\".\" is not a device-mapper name")]
    [InlineData("/dev/mapper/..", "\"..\" is not a device-mapper name")]
    [InlineData("/dev/mapper/vg/lv", "a device-mapper name cannot contain \"/\"")]
    [InlineData("/dev/mapper/", "ends with \"/\"")]
    public void RefusesWithAPreciseMessage(string parameters, string expected)
    {
        var e = Assert.Throws<HotplugFailure>(() => DiskTarget.Parse(parameters));
        Assert.Contains(expected, e.Message);
        Assert.Equal(HotplugFailure.StatusError, e.Status);
        string reported = FailureReport.Describe(e).Message;
        Assert.DoesNotContain('\n', reported);
        Assert.DoesNotContain('\0', reported);
    }

    [Fact]
    public void MessageQuotesTheValueEscaped()
    {
        var e = Assert.Throws<HotplugFailure>(() => DiskTarget.Parse("/images/a\nb"));
        Assert.Equal("params \"/images/a\\nb\" contains a control character", FailureReport.Describe(e).Message);
    }

    [Fact]
    public void RefusesLoneSurrogates()
    {
        // Built at run time: attribute metadata cannot carry a lone surrogate.
        string parameters = "/images/" + (char)0xd800 + ".img";
        var e = Assert.Throws<HotplugFailure>(() => DiskTarget.Parse(parameters));
        Assert.Equal("params \"/images/\\ud800.img\" is not valid Unicode", FailureReport.Describe(e).Message);
    }

    [Fact]
    public void PathMaxCountsTheTerminatingNul()
    {
        string longest = "/" + new string('a', DiskTarget.PathMax - 2);   // 4095 bytes + NUL = PATH_MAX
        Assert.Equal(longest, DiskTarget.Parse(longest).Path);
        var e = Assert.Throws<HotplugFailure>(() => DiskTarget.Parse(longest + "a"));
        Assert.Equal("params is 4096 bytes long as a path; the limit is 4095 (PATH_MAX)", e.Message);
    }

    [Fact]
    public void PathMaxCountsUtf8BytesAndTheDevPrefix()
    {
        // "é" is two bytes: 2046 of them after "/dev/" make 4097 bytes.
        var e = Assert.Throws<HotplugFailure>(() => DiskTarget.Parse(new string('é', 2046)));
        Assert.Contains("4097 bytes", e.Message);
    }

    [Theory]
    [InlineData("/dev/mapper/vg-lv", "vg-lv")]
    [InlineData("mapper/x", "x")]
    [InlineData("/dev/vg/lv", null)]
    [InlineData("/images/mapper/x", null)]
    public void KnowsTheDeviceMapperName(string parameters, string? expected)
        => Assert.Equal(expected, DiskTarget.Parse(parameters).DeviceMapperName);
}
