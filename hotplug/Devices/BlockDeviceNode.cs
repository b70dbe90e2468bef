using System;
using System.Runtime.InteropServices;
using BlockDiskseq.Native;

namespace BlockDiskseq.Devices;

/// <summary>
/// Opens a block device the kernel named by number (sysfs, a loop device's backing, a holder) rather than a
/// path someone gave us. Userspace has no open-by-dev_t, so the node /dev/DEVNAME (the name the kernel puts in
/// the device's uevent) is opened with O_PATH, which runs no driver code, checked by fstat to be that very
/// device, and only then reopened through /proc/self/fd with the real flags (docs/design.md, "Opening a device
/// by number"). A node that is missing or names another device yields null: the caller decides what an
/// unreachable device means.
/// </summary>
internal static class BlockDeviceNode
{
    /// <summary>The device opened with <paramref name="flags"/>; null when it has no node or its node is another device.</summary>
    /// <exception cref="NativeException">The reopen with the real flags failed (EBUSY for an exclusive open of a claimed device).</exception>
    internal static SafeFd? Open(DeviceNumber device, int flags)
    {
        if (DeviceName(device) is not string name)
            return null;
        string path = "/dev/" + name;
        using SafeFd node = LibC.open(path, LibC.O_PATH | LibC.O_CLOEXEC | LibC.O_NOFOLLOW, 0);
        if (node.IsInvalid)
        {
            node.SetHandleAsInvalid();
            return null;
        }
        FileStatus status = FileStatus.Of(node, path);
        if (status.Type != LibC.S_IFBLK || status.RDev != device)
            return null;
        SafeFd fd = LibC.open($"/proc/self/fd/{node.Fd}", flags | LibC.O_CLOEXEC | LibC.O_NOCTTY, 0);
        if (fd.IsInvalid)
        {
            int errno = Marshal.GetLastPInvokeError();
            fd.SetHandleAsInvalid();
            throw new NativeException("open", path, errno);
        }
        return fd;
    }

    /// <summary>DEVNAME from the device's uevent ("loop3", "mapper/..." never: dm devices are "dm-N"); null if gone.</summary>
    internal static string? DeviceName(DeviceNumber device)
    {
        string? uevent = KernelFile.TryReadText($"{Sysfs.DevBlock(device)}/uevent");
        foreach (string line in uevent?.Split('\n') ?? [])
        {
            if (line.StartsWith("DEVNAME=", StringComparison.Ordinal))
            {
                string name = line["DEVNAME=".Length..];
                // A kernel name is never empty and never climbs out of /dev.
                return name.Length == 0 || name.Contains("..", StringComparison.Ordinal) ? null : name;
            }
        }
        return null;
    }
}
