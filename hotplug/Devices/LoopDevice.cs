using System;
using System.Runtime.InteropServices;
using BlockDiskseq.Native;
using BlockDiskseq.Reporting;

namespace BlockDiskseq.Devices;

/// <summary>
/// A loop device for an image file. Attach creates it delete-on-close (LO_FLAGS_AUTOCLEAR): once blkback
/// holds it, Relinquish closes our fd and the kernel detaches it when blkback lets go, so no teardown of
/// ours is needed for the normal lifetime and none is lost if we are killed. OpenExisting finds one again
/// for remove.
/// </summary>
internal sealed class LoopDevice : IDisposable
{
    internal const string ControlPath = "/dev/loop-control";

    /// <summary>
    /// Attach tries at most this many device numbers. It starts at LOOP_CTL_GET_FREE's answer and, after each
    /// lost race, walks to the next number, creating a device (LOOP_CTL_ADD of that number) only past the last
    /// one that exists, so the pool grows to the largest number of devices ever bound at once, not by one per
    /// lost race. A lost race costs an open (EBUSY) or an open and a configure (a bound device): about 10-20 us,
    /// so even a full walk over devices bound to running guests stays in milliseconds.
    /// </summary>
    internal const int MaxAttachAttempts = 1024;

    public int Number { get; }
    public string Path { get; }
    public DeviceNumber Device { get; }
    /// <summary>Read with BLKGETDISKSEQ on Fd, so it belongs to the binding we hold.</summary>
    public ulong Diskseq { get; }
    public SafeFd Fd { get; }
    /// <summary>True when Attach configured it; false when OpenExisting found it.</summary>
    public bool Created { get; }
    /// <summary>How many devices Attach tried (1 when the first free one was ours).</summary>
    public int Attempts { get; }
    /// <summary>True when Attach made the device itself (LOOP_CTL_ADD): the pool had no free one left.</summary>
    public bool Added { get; private init; }

    private bool relinquished;

    private LoopDevice(int number, string path, SafeFd fd, bool created, int attempts)
    {
        Number = number;
        Path = path;
        Fd = fd;
        Created = created;
        Attempts = attempts;
        FileStatus status = FileStatus.Of(fd, path);
        if (status.Type != LibC.S_IFBLK || status.RDev.Major != LibC.LOOP_MAJOR)
            throw new HotplugFailure($"{path} is {status.TypeName} {status.RDev}, not a loop device");
        Device = status.RDev;
        Diskseq = DiskSequence.Read(fd, path);
    }

    /// <summary>
    /// Binds a free loop device to the file we opened, read-only if asked, with a fixed logical block size
    /// (the guest sees 512-byte sectors even when the image sits on 4Kn storage). No LO_FLAGS_PARTSCAN:
    /// the partitions belong to the guest, and dom0 must not probe or expose them. No LO_FLAGS_DIRECT_IO:
    /// Qubes turned it off after guest I/O errors and hangs (QubesOS/qubes-issues#9488, "disable direct I/O
    /// for now" in qubes-block), and the page cache costs little here. No global lock: the O_EXCL open
    /// settles races with other attachers (util-linux, systemd and other hotplug scripts alike). A free
    /// device that someone uses anyway (<paramref name="users"/>: blkback, a backend's physical-device, an
    /// open fd) is skipped like a bound one: whoever holds it would read and write our file from then on.
    /// </summary>
    public static LoopDevice Attach(OpenedTarget backing, bool readOnly, LoopUsers? users = null, uint blockSize = 512)
    {
        users ??= LoopUsers.KernelOnly();
        if (backing.Kind != TargetKind.File)
            throw new ArgumentException($"{backing.Path} is not a regular file", nameof(backing));
        // LOOP_CONFIGURE would quietly make the device read-only for a read-only backing fd.
        if (!readOnly && !backing.Writable)
            throw new ArgumentException($"{backing.Path} was opened read-only", nameof(backing));
        using SafeFd control = NativeException.Check(
            LibC.open(ControlPath, LibC.O_RDWR | LibC.O_CLOEXEC | LibC.O_NOCTTY, 0), "open", ControlPath);
        int number = ControlIoctl(control, LibC.LOOP_CTL_GET_FREE, 0, "LOOP_CTL_GET_FREE");
        NativeException? lastError = null;
        bool added = false;
        for (int attempt = 1; attempt <= MaxAttachAttempts; attempt++)
        {
            // Walking past GET_FREE's answer, a bound device (a guest's disk) is skipped unopened: opening it
            // for writing and closing it would make udev re-probe it (its "watch" rule on block devices).
            if (attempt > 1 && !added && HasBoundFile(number))
            {
                number++;
                continue;
            }
            string path = $"/dev/loop{number}";
            SafeFd? fd = TryConfigure(path, backing, readOnly, blockSize, users, out lastError, out string? user);
            if (fd is not null)
                return FromConfigured(number, path, fd, attempt, added);
            if (user is not null)
            {
                Log.Step($"loop attach attempt {attempt}: {path} is free but {user}, trying the next device");
                number++;
                added = false;
                continue;
            }
            Log.Step($"loop attach attempt {attempt}: {lastError!.Message}, trying the next device");
            // No such device: past the last one there is. Make this number and try it again; EEXIST means
            // someone else made it meanwhile (or it is being deleted): just go on.
            bool missing = lastError.Errno is LibC.ENOENT or LibC.ENXIO;
            added = missing && AddDevice(control, number);
            if (!added)
                number++;
        }
        string what = $"could not attach a loop device to {backing.Path} in {MaxAttachAttempts} attempts";
        throw lastError is null
            ? new HotplugFailure($"{what}: every device up to loop{number - 1} is bound")
            : new HotplugFailure($"{what}: {lastError.Message}", lastError);
    }

    // sysfs shows loop/ under a loop device only while a file is bound to it.
    private static bool HasBoundFile(int number) => System.IO.Directory.Exists($"{Sysfs.Root}/block/loop{number}/loop");

    /// <summary>LOOP_CTL_ADD of exactly <paramref name="number"/>: true if we made it, false if it exists.</summary>
    private static bool AddDevice(SafeFd control, int number)
    {
        if (LibC.ioctl(control, LibC.LOOP_CTL_ADD, number) >= 0)
            return true;
        int errno = Marshal.GetLastPInvokeError();
        return errno == LibC.EEXIST ? false : throw new NativeException("ioctl(LOOP_CTL_ADD)", ControlPath, errno);
    }

    private static int ControlIoctl(SafeFd control, nuint request, nint arg, string name)
        => NativeException.Check(LibC.ioctl(control, request, arg), $"ioctl({name})", ControlPath);

    /// <summary>
    /// Opens and configures one device; null (with the error) when we lost a race for it. Retryable:
    /// open ENOENT: the node is not (yet) in /dev: a udev-managed /dev lags LOOP_CTL_ADD, or LOOP_CTL_REMOVE raced us;
    /// open ENXIO, configure ENXIO: the device is being deleted;
    /// open EBUSY: another process holds it O_EXCL, because LOOP_CTL_GET_FREE "will happily return a loop
    ///   device that is currently being configured" (qubes-block) to every caller until one binds it;
    /// open EAGAIN: transient, retried by util-linux and qubes-block too;
    /// configure EBUSY: someone bound it without O_EXCL (losetup does) between GET_FREE and our configure.
    /// Null with <paramref name="user"/> set: the device is free but in use (LoopUsers), never bound.
    /// </summary>
    private static unsafe SafeFd? TryConfigure(string path, OpenedTarget backing, bool readOnly, uint blockSize,
                                               LoopUsers users, out NativeException? error, out string? user)
    {
        user = null;
        int flags = (readOnly ? LibC.O_RDONLY : LibC.O_RDWR) | LibC.O_EXCL | LibC.O_CLOEXEC | LibC.O_NOCTTY | LibC.O_NOFOLLOW;
        SafeFd fd = LibC.open(path, flags, 0);
        if (fd.IsInvalid)
        {
            error = new NativeException("open", path, Marshal.GetLastPInvokeError());
            fd.SetHandleAsInvalid();
            return error.Errno is LibC.ENOENT or LibC.ENXIO or LibC.EBUSY or LibC.EAGAIN ? null : throw error;
        }
        error = null;
        user = UserOf(fd, path, users) ?? LockForUdev(fd, path);
        if (user is not null)
        {
            fd.Dispose();
            return null;
        }
        var config = new LibC.loop_config
        {
            fd = (uint)backing.Fd.Fd,
            block_size = blockSize,
            info = { lo_flags = LibC.LO_FLAGS_AUTOCLEAR | (readOnly ? LibC.LO_FLAGS_READ_ONLY : 0) },
        };
        if (LibC.ioctl(fd, LibC.LOOP_CONFIGURE, &config) == 0)
        {
            error = null;
            return fd;
        }
        error = new NativeException("ioctl(LOOP_CONFIGURE)", path, Marshal.GetLastPInvokeError());
        fd.Dispose();
        return error.Errno is LibC.EBUSY or LibC.ENXIO ? null : throw error;
    }

    /// <summary>
    /// Takes the device's BSD lock, held until the udev marker exists (FromConfigured). systemd-udevd (v250 and
    /// later) requeues every event of a whole block device that someone holds LOCK_EX on and retries it every
    /// 200 ms (systemd.io/BLOCK_DEVICE_LOCKING; docs/protocol-facts.md §10), so the "change" uevent of
    /// LOOP_CONFIGURE is processed only once UdevMarker has marked the binding: no udev rule ever sees the
    /// guest's data unmarked. A device already locked is in use (udev reading it, or a tool that owns it under
    /// that convention): skipped like one with a user, never waited for.
    /// </summary>
    private static string? LockForUdev(SafeFd fd, string path)
    {
        if (LibC.flock(fd, LibC.LOCK_EX | LibC.LOCK_NB) == 0)
            return null;
        int errno = Marshal.GetLastPInvokeError();
        if (errno == LibC.EAGAIN)
            return "locked (flock) by another process";
        fd.Dispose();
        throw new NativeException("flock(LOCK_EX)", path, errno);
    }

    private static string? UserOf(SafeFd fd, string path, LoopUsers users)
    {
        try
        {
            return users.UserOf(FileStatus.Of(fd, path).RDev);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    private static LoopDevice FromConfigured(int number, string path, SafeFd fd, int attempts, bool added)
    {
        try
        {
            var loop = new LoopDevice(number, path, fd, created: true, attempts) { Added = added };
            UdevMarker.Mark($"loop{number}", loop.Diskseq);
            if (LibC.flock(fd, LibC.LOCK_UN) == -1)
            {
                int errno = Marshal.GetLastPInvokeError();
                // Not fatal: the lock goes with our fd at Relinquish; until then udev only waits.
                Log.Warning($"flock(LOCK_UN) on {path}: {LibC.StrError(errno)} ({LibC.ErrnoName(errno)}), ignoring");
            }
            return loop;
        }
        catch
        {
            // Bound but unusable (no diskseq, no udev marker): undo it as Dispose would. The close releases
            // the lock; udev's retry comes 200 ms later and finds the device unbound.
            ClearAndClose(fd, path);
            throw;
        }
    }

    /// <summary>
    /// For remove: the loop device with this number, opened read-only and non-exclusively (blkback may
    /// still hold it for a moment after reaching Closed: xen_blkif_free runs from deferred work). Null when
    /// the device no longer exists. Holding this fd pins the binding: an autoclear device is only torn down
    /// at its last close, and LOOP_CLR_FD defers to it, so Diskseq and a later Detach see the same binding.
    /// </summary>
    public static LoopDevice? OpenExisting(DeviceNumber device)
    {
        if (device.Major != LibC.LOOP_MAJOR)
            throw new HotplugFailure($"{device} is not a loop device (major {LibC.LOOP_MAJOR})");
        if (DeviceName(device) is not { } name)
            return null;
        string path = "/dev/" + name;
        SafeFd fd = LibC.open(path, LibC.O_RDONLY | LibC.O_CLOEXEC | LibC.O_NOCTTY | LibC.O_NOFOLLOW | LibC.O_NONBLOCK, 0);
        if (fd.IsInvalid)
        {
            var error = new NativeException("open", path, Marshal.GetLastPInvokeError());
            fd.SetHandleAsInvalid();
            return error.Errno is LibC.ENOENT or LibC.ENXIO ? null : throw error;
        }
        try
        {
            var loop = new LoopDevice(int.Parse(name["loop".Length..]), path, fd, created: false, attempts: 0);
            return loop.Device == device ? loop
                : throw new HotplugFailure($"{path} is {loop.Device}, not {device}: refusing to touch it");
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    // Loop minors equal loop numbers only while the module's max_part is 0, so ask the kernel for the
    // name (the uevent's DEVNAME) rather than assume /dev/loop<minor>; the fstat check covers the rest.
    private static string? DeviceName(DeviceNumber device)
        => BlockDeviceNode.DeviceName(device) is not string name ? null
           : IsLoopName(name) ? name
           : throw new HotplugFailure($"{device} is {Printable.Quote(name)}, not a whole loop device");

    internal static bool IsLoopName(ReadOnlySpan<char> name)
        => name.Length > 4 && name.StartsWith("loop", StringComparison.Ordinal)
           && name[4..].IndexOfAnyExceptInRange('0', '9') < 0 && (name.Length == 5 || name[4] != '0');

    /// <summary>True while a backing file is bound (LOOP_GET_STATUS64 answers ENXIO once it is not).</summary>
    public bool IsBound => TryGetStatus(Fd, Path, out _);

    /// <summary>LOOP_GET_STATUS64; false when the device is unbound.</summary>
    internal static unsafe bool TryGetStatus(SafeFd fd, string path, out LibC.loop_info64 info)
    {
        LibC.loop_info64 result;
        if (LibC.ioctl(fd, LibC.LOOP_GET_STATUS64, &result) == 0)
        {
            info = result;
            return true;
        }
        int errno = Marshal.GetLastPInvokeError();
        info = default;
        return errno == LibC.ENXIO ? false : throw new NativeException("ioctl(LOOP_GET_STATUS64)", path, errno);
    }

    /// <summary>
    /// blkback holds the device now: close our fd and let autoclear detach it when blkback closes it.
    /// </summary>
    public void Relinquish()
    {
        relinquished = true;
        Fd.Dispose();
    }

    /// <summary>
    /// LOOP_CLR_FD. With other openers (blkback) the kernel only marks the device autoclear and returns 0,
    /// so the detach happens at the last close; ENXIO means it is already unbound, which is what we want.
    /// EBUSY came from kernels that refused to clear a device with several openers; it means the teardown
    /// is deferred to autoclear, not that it failed.
    /// </summary>
    public void Detach()
    {
        if (LibC.ioctl(Fd, LibC.LOOP_CLR_FD, 0) == 0)
            return;
        int errno = Marshal.GetLastPInvokeError();
        if (errno == LibC.ENXIO)
            Log.Step($"{Path} is already unbound");
        else if (errno == LibC.EBUSY)
            Log.Step($"{Path} is still open elsewhere: autoclear detaches it at its last close");
        else
            throw new NativeException("ioctl(LOOP_CLR_FD)", Path, errno);
    }

    /// <summary>
    /// Not relinquished and created by us: nobody else should hold the device, so tear it down now.
    /// Order: LOOP_CLR_FD while we still hold the fd (on 6.x it only sets AUTOCLEAR, already set, and
    /// rundown state so no new opener gets in; older kernels detach right here when we are the only
    /// opener), then close, which is the last close and detaches through autoclear. A device we only
    /// found (OpenExisting) is just closed.
    /// </summary>
    public void Dispose()
    {
        if (Fd.IsClosed)
            return;
        if (Created && !relinquished)
            ClearAndClose(Fd, Path);
        else
            Fd.Dispose();
    }

    private static void ClearAndClose(SafeFd fd, string path)
    {
        if (LibC.ioctl(fd, LibC.LOOP_CLR_FD, 0) == -1)
        {
            int errno = Marshal.GetLastPInvokeError();
            // Not fatal: autoclear still detaches the device at the close below.
            Log.Warning($"ioctl(LOOP_CLR_FD) on {path}: {LibC.StrError(errno)} ({LibC.ErrnoName(errno)}), ignoring");
        }
        fd.Dispose();
    }
}
