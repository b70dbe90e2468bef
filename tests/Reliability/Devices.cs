using System.Linq;
using System.Runtime.InteropServices;
using BlockDiskseq.Devices;
using BlockDiskseq.Native;
using BlockDiskseq.Sharing;
using BlockDiskseq.Tests.Integration;

namespace BlockDiskseq.Reliability;

/// <summary>
/// One block device as it is now: its number, diskseq and, for a bound loop device, the inode behind it.
/// The backing identity comes from LOOP_GET_STATUS64 (lo_device, lo_inode) on an fd we hold, not from
/// /sys/block/loopN/loop/backing_file: that is a path made when read (d_path), which names nothing once the
/// file is unlinked and names something else from another mount namespace (docs/reliability.md).
/// </summary>
internal readonly record struct DeviceFacts(DeviceNumber Device, ulong Diskseq, ulong? BackingDev, ulong? BackingIno);

internal static class Devices
{
    /// <summary>The device with this number now, or null when none exists (or it is an unbound loop device).</summary>
    public static DeviceFacts? Inspect(DeviceNumber device)
    {
        string? uevent = KernelFile.TryReadText($"/sys/dev/block/{device.Major}:{device.Minor}/uevent");
        string? name = uevent?.Split('\n').FirstOrDefault(line => line.StartsWith("DEVNAME=", System.StringComparison.Ordinal))?["DEVNAME=".Length..];
        if (name is null)
            return null;
        DeviceFacts? facts = InspectPath("/dev/" + name);
        return facts?.Device == device ? facts : null;
    }

    /// <summary>Opens the node read-only, non-exclusively (nothing is disturbed) and asks the kernel.</summary>
    public static DeviceFacts? InspectPath(string path)
    {
        using SafeFd fd = LibC.open(path, LibC.O_RDONLY | LibC.O_CLOEXEC | LibC.O_NOCTTY | LibC.O_NONBLOCK, 0);
        if (fd.IsInvalid)
        {
            fd.SetHandleAsInvalid();
            return null;
        }
        FileStatus status = FileStatus.Of(fd, path);
        if (status.Type != LibC.S_IFBLK)
            return null;
        ulong? backingDev = null, backingIno = null;
        if (status.RDev.Major == LibC.LOOP_MAJOR)
        {
            if (!LoopDevice.TryGetStatus(fd, path, out LibC.loop_info64 info))
                return null; // unbound: no disk there
            backingDev = info.lo_device;
            backingIno = info.lo_inode;
        }
        return new DeviceFacts(status.RDev, ReadDiskseq(fd), backingDev, backingIno);
    }

    private static unsafe ulong ReadDiskseq(SafeFd fd)
    {
        ulong diskseq = 0;
        return LibC.ioctl(fd, LibC.BLKGETDISKSEQ, &diskseq) == 0 ? diskseq : throw new NativeException("ioctl(BLKGETDISKSEQ)", "", Marshal.GetLastPInvokeError());
    }

    /// <summary>Loop devices still bound to an image at the end: the harness's safety net (the run has already counted them).</summary>
    public static void DetachLeftovers(TestImage image)
    {
        foreach (DeviceNumber device in LocalUsage.LoopsBackedBy(image.StDev, image.StIno).ToList())
        {
            using LoopDevice? loop = LoopDevice.OpenExisting(device);
            loop?.Detach();
        }
    }
}
