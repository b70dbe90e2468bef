using System;
using BlockDiskseq.Devices;
using BlockDiskseq.Native;
using BlockDiskseq.Reporting;

namespace BlockDiskseq.DeviceMapper;

/// <summary>
/// A dm device opened by its device number, with what the kernel says about the device behind the fd:
/// diskseq (BLKGETDISKSEQ on the fd) and name and uuid (sysfs dm/, read after the open). While the fd is
/// open the device cannot be removed (only marked for deferred removal), so the number stays bound to the
/// device these describe.
/// </summary>
internal sealed class DmNode : IDisposable
{
    public SafeFd Fd { get; }
    public string Path { get; }
    public DeviceNumber Device { get; }
    public ulong Diskseq { get; }
    public string Name { get; }
    public string Uuid { get; }

    internal DmNode(SafeFd fd, string path, DeviceNumber device, ulong diskseq, string name, string uuid)
    {
        Fd = fd;
        Path = path;
        Device = device;
        Diskseq = diskseq;
        Name = name;
        Uuid = uuid;
    }

    public void Dispose() => Fd.Dispose();

    /// <summary>
    /// Opens /dev/dm-MINOR read-only (dm.c names every disk "dm-%d" after its minor; devtmpfs creates the
    /// node at the first table load, 5.15+, with no udev involved) and checks on the fd that it is that
    /// block device. Null when no such device exists (any more).
    /// </summary>
    internal static DmNode? TryOpen(DeviceNumber device)
    {
        string path = $"/dev/dm-{device.Minor}";
        SafeFd fd = LibC.open(path, LibC.O_RDONLY | LibC.O_CLOEXEC | LibC.O_NOCTTY | LibC.O_NOFOLLOW, 0);
        if (fd.IsInvalid)
        {
            var error = new NativeException("open", path, System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
            fd.SetHandleAsInvalid();
            return error.Errno is LibC.ENOENT or LibC.ENXIO ? null : throw error;
        }
        try
        {
            FileStatus status = FileStatus.Of(fd, path);
            if (status.Type != LibC.S_IFBLK || status.RDev != device)
                throw new HotplugFailure($"{path} is {status.TypeName} {status.RDev}, not the dm device {device}");
            ulong diskseq = DiskSequence.Read(fd, path);
            return new DmNode(fd, path, device, diskseq, ReadDmAttribute(device, "name"), ReadDmAttribute(device, "uuid"));
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>The device's sysfs dm/ATTRIBUTE without its newline ("" for a device without a uuid).</summary>
    private static string ReadDmAttribute(DeviceNumber device, string attribute)
    {
        string path = $"{Sysfs.DevBlock(device)}/dm/{attribute}";
        string text = KernelFile.TryReadText(path)
            ?? throw new HotplugFailure($"{path} does not exist: {device} is not a device-mapper device");
        return text.EndsWith('\n') ? text[..^1] : throw new HotplugFailure($"{path} reads {Printable.Quote(text)}, not a line");
    }
}
