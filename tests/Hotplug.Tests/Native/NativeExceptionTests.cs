using BlockDiskseq.Native;
using BlockDiskseq.Tests.DeviceMapper;
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
}
