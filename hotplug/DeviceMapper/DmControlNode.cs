using BlockDiskseq.Devices;
using BlockDiskseq.Native;
using BlockDiskseq.Reporting;

namespace BlockDiskseq.DeviceMapper;

/// <summary>
/// Opens the dm control node and checks on the fd that it is one. The node is not created here: devtmpfs
/// makes /dev/mapper/control when dm-mod loads (and kmod's static nodes make it earlier, so that opening it
/// loads the module). A private mknod would not help either: /run and most scratch places are mounted nodev.
/// </summary>
internal static class DmControlNode
{
    /// <summary>misc major 10, MAPPER_CTRL_MINOR 236 (include/linux/miscdevice.h), fixed since Linux 2.6.36.</summary>
    internal static readonly DeviceNumber Number = new(10, 236);

    internal static SafeFd Open(string path)
    {
        SafeFd fd;
        try
        {
            fd = NativeException.Check(LibC.open(path, LibC.O_RDWR | LibC.O_CLOEXEC | LibC.O_NOCTTY, 0), "open", path);
        }
        catch (NativeException e) when (e.Errno == LibC.ENOENT)
        {
            throw new HotplugFailure($"device-mapper is not available: {path} does not exist (is dm-mod loaded?)", e);
        }
        try
        {
            FileStatus status = FileStatus.Of(fd, path);
            if (status.Type != LibC.S_IFCHR || status.RDev != Number)
                throw new HotplugFailure($"{path} is {status.TypeName} {status.RDev}, not the device-mapper control node {Number}");
            return fd;
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }
}
