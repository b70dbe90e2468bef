using System;
using BlockDiskseq.Native;
using BlockDiskseq.Reporting;

namespace BlockDiskseq.Devices;

internal enum TargetKind
{
    /// <summary>A regular file: it needs a loop device.</summary>
    File,
    /// <summary>A block device: blkback opens it by its device number.</summary>
    BlockDevice,
}

/// <summary>
/// The target opened exactly once and validated by fstat on that fd: every later decision (loop backing
/// file, device number, diskseq, lock key) is about this object, not about whatever the path names later.
/// </summary>
internal sealed class OpenedTarget : IDisposable
{
    public SafeFd Fd { get; }
    /// <summary>The path as given (for messages and physical-device-path); never opened again.</summary>
    public string Path { get; }
    public TargetKind Kind { get; }
    /// <summary>st_dev and st_ino: the identity of a file target (the lock and loop sharing key).</summary>
    public ulong StDev { get; }
    public ulong StIno { get; }
    public uint StMode { get; }
    /// <summary>st_rdev of a block device target; default for a file.</summary>
    public DeviceNumber Device { get; }
    public ulong Size { get; }
    /// <summary>Opened O_RDWR (modes w and w!).</summary>
    public bool Writable { get; }

    private OpenedTarget(SafeFd fd, string path, TargetKind kind, FileStatus status, bool writable)
    {
        Writable = writable;
        Fd = fd;
        Path = path;
        Kind = kind;
        StDev = status.Dev;
        StIno = status.Ino;
        StMode = status.Mode;
        Device = kind == TargetKind.BlockDevice ? status.RDev : default;
        Size = status.Size;
    }

    /// <summary>
    /// Opens read-write for w and w!, read-only for r. O_NONBLOCK keeps a FIFO from blocking the open
    /// (we refuse it right after); O_NOCTTY keeps a tty from becoming our controlling terminal.
    /// </summary>
    public static OpenedTarget Open(DiskTarget target, AccessMode mode)
    {
        int flags = (mode.IsWritable() ? LibC.O_RDWR : LibC.O_RDONLY) | LibC.O_CLOEXEC | LibC.O_NOCTTY | LibC.O_NONBLOCK;
        SafeFd fd = OpenOrExplain(target.Path, flags);
        try
        {
            FileStatus status = FileStatus.Of(fd, target.Path);
            TargetKind kind = Classify(target, status, mode);
            return new OpenedTarget(fd, target.Path, kind, status, mode.IsWritable());
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    public void Dispose() => Fd.Dispose();

    private static SafeFd OpenOrExplain(string path, int flags)
    {
        try
        {
            return NativeException.Check(LibC.open(path, flags, 0), "open", path);
        }
        catch (NativeException e) when (e.Errno == LibC.ENXIO)
        {
            // open(2) gives ENXIO for a socket and for a device node whose driver or device is missing;
            // a path stat (for the message only: we fail either way) tells which.
            FileStatus? status = FileStatus.TryOfPath(path);
            string what = status?.Type switch
            {
                LibC.S_IFSOCK => "is a socket, not a file or block device",
                LibC.S_IFBLK or LibC.S_IFCHR => $"is a device node ({status.Value.RDev}) with no device behind it",
                _ => "cannot be opened",
            };
            throw new HotplugFailure($"{path} {what} ({e.Message})", e);
        }
    }

    private static TargetKind Classify(DiskTarget target, FileStatus status, AccessMode mode)
    {
        switch (status.Type)
        {
            case LibC.S_IFREG:
                CheckImageFile(target.Path, status, mode);
                return TargetKind.File;
            case LibC.S_IFBLK:
                if (target.DeviceMapperName is { } name)
                    CheckDeviceMapperName(target.Path, name, status.RDev, Sysfs.Root);
                return TargetKind.BlockDevice;
            default:
                throw new HotplugFailure($"{target.Path} is {status.TypeName}, not a regular file or block device");
        }
    }

    private static void CheckImageFile(string path, FileStatus status, AccessMode mode)
    {
        if (status.Size == 0)
            throw new HotplugFailure($"{path} is empty");
        // Xen's golden-image rule (block, "file" case): no write bit at all means the owner wants the image
        // kept read-only; root could open it O_RDWR anyway, so check the bits. w! skips it, as "!" does there.
        if (mode == AccessMode.Write && (status.Mode & LibC.S_IWUGO) == 0)
            throw new HotplugFailure(
                $"File {path} is read-only, and so I will not mount it read-write in a guest domain.",
                HotplugFailure.StatusBusy);
    }

    // /dev/mapper/NAME is a udev-made node or symlink: after a rename or remove+create it may lead to
    // another dm device. The kernel's name for the device we actually opened settles it (as qubes-block does).
    internal static void CheckDeviceMapperName(string path, string name, DeviceNumber device, string sysfsRoot)
    {
        string? actual = KernelFile.TryReadText($"{Sysfs.DevBlock(sysfsRoot, device)}/dm/name");
        if (actual is null)
            throw new HotplugFailure($"opened the wrong device-mapper device: {path} is {device}, which is not a device-mapper device");
        if (actual != name + "\n")
            throw new HotplugFailure(
                $"opened the wrong device-mapper device: {path} is {device}, named {Printable.Quote(actual.TrimEnd('\n'))}");
    }
}
