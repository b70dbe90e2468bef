using BlockDiskseq.Devices;
using BlockDiskseq.Native;
using Xunit;

namespace BlockDiskseq.Tests.Devices;

public class DeviceNumberTests
{
    [Theory]
    [InlineData(7u, 0u, "7:0")]
    [InlineData(0xfdu, 3u, "fd:3")]
    [InlineData(259u, 0x10u, "103:10")]
    [InlineData(0xfffu, 0xfffffu, "fff:fffff")]
    public void FormatsAsXenPhysicalDevice(uint major, uint minor, string expected)
    {
        var device = new DeviceNumber(major, minor);
        Assert.Equal(expected, device.ToString());
        Assert.True(DeviceNumber.TryParse(expected, out DeviceNumber parsed));
        Assert.Equal(device, parsed);
    }

    [Theory]
    [InlineData("0:0", 0u, 0u)]
    [InlineData("7:0", 7u, 0u)]
    [InlineData("fd:a", 0xfdu, 0xau)]
    public void ParsesCanonicalText(string text, uint major, uint minor)
    {
        Assert.True(DeviceNumber.TryParse(text, out DeviceNumber device));
        Assert.Equal(new DeviceNumber(major, minor), device);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("7")]
    [InlineData("7:")]
    [InlineData(":0")]
    [InlineData("07:0")]
    [InlineData("7:00")]
    [InlineData("7:0:0")]
    [InlineData("7:0 ")]
    [InlineData(" 7:0")]
    [InlineData("7:0\n")]
    [InlineData("0x7:0")]
    [InlineData("FD:3")]
    [InlineData("+7:0")]
    [InlineData("-1:0")]
    [InlineData("1000:0")]       // majors have 12 bits
    [InlineData("0:100000")]     // minors have 20 bits
    [InlineData("100000000:0")]
    public void RefusesAnythingElse(string? text)
    {
        Assert.False(DeviceNumber.TryParse(text, out DeviceNumber device));
        Assert.Equal(default, device);
    }

    [Fact]
    public void DevTUsesGlibcEncoding()
    {
        // makedev(0x123, 0x45678): minor low byte 0x78, major low 12 bits << 8, minor high bits << 12.
        var device = new DeviceNumber(0x123, 0x45678);
        Assert.Equal(0x45612378UL, device.ToDevT());
        Assert.Equal(device, DeviceNumber.FromDevT(0x45612378UL));
        Assert.Equal(0xfffu, LibC.major(LibC.makedev(0xfff, 0)));
        Assert.Equal(0xfffffu, LibC.minor(LibC.makedev(0, 0xfffff)));
    }

    [Fact]
    public void DevNullIsOneThree()
    {
        FileStatus? status = FileStatus.TryOfPath("/dev/null");
        Assert.NotNull(status);
        Assert.Equal(LibC.S_IFCHR, status.Value.Type);
        Assert.Equal(new DeviceNumber(1, 3), status.Value.RDev);
    }
}
