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
    /// <summary>The unit a guest's disk is counted in (blkback's sectors, the loop driver's size); less is no disk.</summary>
    internal const ulong SectorSize = 512;

    public SafeFd Fd { get; }
    /// <summary>The path as given (for messages and physical-device-path); never opened again.</summary>
    public string Path { get; }
    public TargetKind Kind { get; }
    /// <summary>st_dev and st_ino: the identity of a file target (the lock and loop sharing key).</summary>
    public ulong StDev { get; }
    public ulong StIno { get; }
    public uint StMode { get; }
    /// <summary>The mount the target was opened through (statx stx_mnt_id; 0 before Linux 5.8).</summary>
    public ulong MountId { get; }
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
        MountId = status.MountId;
        Device = kind == TargetKind.BlockDevice ? status.RDev : default;
        Size = status.Size;
    }

    /// <summary>
    /// Opens read-write for w and w!, read-only for r, but only after fstat has shown a regular file or a
    /// block device: the path is first opened with O_PATH, which runs no driver's open (opening /dev/watchdog
    /// arms it, a tape rewinds on close, a tty toggles its lines, a FIFO blocks), then that same object is
    /// reopened through /proc/self/fd/N and checked to be the same inode (docs/design.md, "Opening the
    /// target"). O_NONBLOCK keeps a block device without media from blocking the open; O_NOCTTY is kept
    /// for safety though no tty gets that far.
    /// </summary>
    public static OpenedTarget Open(DiskTarget target, AccessMode mode)
    {
        FileStatus status;
        TargetKind kind;
        using (SafeFd pathFd = OpenOrExplain(target.Path, LibC.O_PATH | LibC.O_CLOEXEC))
        {
            status = FileStatus.Of(pathFd, target.Path);
            kind = Classify(target, status, mode);
            int flags = (mode.IsWritable() ? LibC.O_RDWR : LibC.O_RDONLY) | LibC.O_CLOEXEC | LibC.O_NOCTTY | LibC.O_NONBLOCK;
            SafeFd fd = Reopen(pathFd, target.Path, flags, status);
            try
            {
                if (kind == TargetKind.BlockDevice)
                    CheckHasSectors(fd, target.Path, status.RDev);
                return new OpenedTarget(fd, target.Path, kind, status, mode.IsWritable());
            }
            catch
            {
                fd.Dispose();
                throw;
            }
        }
    }

    public void Dispose() => Fd.Dispose();

    /// <summary>
    /// Opens the object an O_PATH fd refers to with real flags: /proc/self/fd/N is a link to the open file
    /// itself, not to its path, so a rename or replacement of the path in between cannot change what we get.
    /// The identity check makes that explicit (and catches a /proc that is not procfs).
    /// </summary>
    private static SafeFd Reopen(SafeFd pathFd, string path, int flags, FileStatus expected)
    {
        SafeFd fd = OpenOrExplain($"/proc/self/fd/{pathFd.Fd}", flags, path);
        FileStatus reopened;
        try
        {
            reopened = FileStatus.Of(fd, path);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
        if (reopened.Dev == expected.Dev && reopened.Ino == expected.Ino && reopened.RDev == expected.RDev)
            return fd;
        fd.Dispose();
        throw new HotplugFailure($"{path} changed while being opened: reopening it through /proc/self/fd gave another object");
    }

    /// <summary>
    /// A block device with no sectors holds no disk yet: an unbound loop device, an unconnected nbd device,
    /// a device-mapper device without a table, a drive without media. Exporting it hands the guest whatever
    /// is bound to it later, another guest's image included (issue 12), so it is refused.
    /// </summary>
    private static unsafe void CheckHasSectors(SafeFd fd, string path, DeviceNumber device)
    {
        ulong bytes = 0;
        NativeException.Check(LibC.ioctl(fd, LibC.BLKGETSIZE64, &bytes), "ioctl(BLKGETSIZE64)", path);
        if (bytes < SectorSize)
            throw new HotplugFailure($"{path} ({device}) is a block device with no sectors (an unbound loop device, "
                + "an unconnected nbd device or a device-mapper device without a table): it holds no disk to export");
    }

    /// <param name="shownPath">The path to name in messages (the target's, when opening /proc/self/fd/N).</param>
    private static SafeFd OpenOrExplain(string path, int flags, string? shownPath = null)
    {
        shownPath ??= path;
        try
        {
            return NativeException.Check(LibC.open(path, flags, 0), "open", shownPath);
        }
        catch (NativeException e) when (e.Errno == LibC.ENXIO)
        {
            // open(2) gives ENXIO for a device node whose driver or device is missing; the type was
            // checked on the O_PATH fd before, so a stat here only picks the words.
            FileStatus? status = FileStatus.TryOfPath(path);
            string what = status?.Type switch
            {
                LibC.S_IFBLK or LibC.S_IFCHR => $"is a device node ({status.Value.RDev}) with no device behind it",
                _ => "cannot be opened",
            };
            throw new HotplugFailure($"{shownPath} {what} ({e.Message})", e);
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
        // A loop device counts whole 512-byte sectors only (get_size in drivers/block/loop.c, Linux 6.1: the
        // size >> 9), so an image of 1-511 bytes would reach the guest as a disk of 0 sectors: empty too.
        if (status.Size == 0)
            throw new HotplugFailure($"{path} is empty");
        if (status.Size < SectorSize)
            throw new HotplugFailure($"{path} is empty to a guest: {status.Size} bytes, less than one {SectorSize}-byte sector");
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
