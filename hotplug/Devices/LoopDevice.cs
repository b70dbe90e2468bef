using System;
using System.Runtime.InteropServices;
using BlockDiskseq.Cli;
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
    /// Attach makes at most this many devices. Each one after the first follows a lost race: another attacher
    /// (LOOP_CTL_GET_FREE hands out every unbound device, our new one included) opened it O_EXCL or bound it
    /// first, and it is theirs now. Losing 64 times in a row would take 64 binders racing this one add.
    /// </summary>
    internal const int MaxAttachAttempts = 64;

    public int Number { get; }
    public string Path { get; }
    public DeviceNumber Device { get; }
    /// <summary>Read with BLKGETDISKSEQ on Fd, so it belongs to the binding we hold.</summary>
    public ulong Diskseq { get; }
    public SafeFd Fd { get; }
    /// <summary>True when Attach configured it; false when OpenExisting found it.</summary>
    public bool Created { get; }
    /// <summary>How many devices Attach made (1 when nobody took the first one from us).</summary>
    public int Attempts { get; }

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
    /// Binds the file we opened to a loop device that did not exist until now, read-only if asked, with a fixed
    /// logical block size (the guest sees 512-byte sectors even when the image sits on 4Kn storage).
    /// No LO_FLAGS_PARTSCAN: the partitions belong to the guest, and dom0 must not probe or expose them. No
    /// LO_FLAGS_DIRECT_IO: Qubes turned it off after guest I/O errors and hangs (QubesOS/qubes-issues#9488,
    /// "disable direct I/O for now" in qubes-block), and the page cache costs little here.
    /// </summary>
    /// <remarks>
    /// Whoever holds a loop device when a file is bound to it reads and writes that file from then on, and
    /// blkback, dd or qemu open without O_EXCL, which no kernel interface reports. A free device that already
    /// existed may be held by anyone since it was made; so we never take one (docs/design.md, "Loop devices
    /// nobody may be handed"). NewLoopDevice makes a new one (LOOP_CTL_ADD of the lowest index without a device,
    /// marked ours first): nobody can have opened it
    /// before, and what opens it between the ADD and our bind (microseconds) races the bind as an opener
    /// arriving after any check would. udev opens every new block device for its "add" event and holds a
    /// shared BSD lock meanwhile; LockForUdev waits for it, so udev is never inside its rules while we bind.
    /// The pool stays bounded because remove deletes the devices we made (LoopPool). No global lock: the
    /// O_EXCL open and LOOP_CONFIGURE's EBUSY settle races with other attachers.
    /// </remarks>
    public static LoopDevice Attach(OpenedTarget backing, bool readOnly, uint blockSize = 512)
    {
        if (backing.Kind != TargetKind.File)
            throw new ArgumentException($"{backing.Path} is not a regular file", nameof(backing));
        // LOOP_CONFIGURE would quietly make the device read-only for a read-only backing fd.
        if (!readOnly && !backing.Writable)
            throw new ArgumentException($"{backing.Path} was opened read-only", nameof(backing));
        using SafeFd control = NativeException.Check(
            LibC.open(ControlPath, LibC.O_RDWR | LibC.O_CLOEXEC | LibC.O_NOCTTY, 0), "open", ControlPath);
        string markers = UdevMarker.PrepareReserve();
        string? lost = null;
        for (int attempt = 1; attempt <= MaxAttachAttempts; attempt++)
        {
            // Marked ours before it exists: if we are killed before the bind, a later remove deletes it (LoopPool.Reclaim).
            int number = NewLoopDevice.Make(control, markers);
            string path = $"/dev/loop{number}";
            SafeFd? fd;
            bool stillOurs;
            ulong madeAs;
            try
            {
                fd = TryConfigure(number, path, backing, readOnly, blockSize, out lost, out stillOurs, out madeAs);
            }
            catch
            {
                LoopPool.Release(control, number);
                throw;
            }
            if (fd is not null)
                return FromConfigured(number, path, fd, attempt, madeAs);
            Log.Step($"loop attach attempt {attempt}: {lost}, making another device");
            if (stillOurs)
                LoopPool.Release(control, number); // if it stays (udev still has it), its mark lets a later remove delete it
            else
                UdevMarker.Forget($"loop{number}", []); // someone else's now, or gone: not one for us to delete
        }
        throw new HotplugFailure($"could not attach a loop device to {backing.Path} in {MaxAttachAttempts} attempts: {lost}");
    }

    /// <summary>
    /// Opens and configures the device we just made; null (with why) when we lost it:
    /// open EBUSY, configure EBUSY: another attacher opened it O_EXCL or bound it first (it is theirs now);
    /// open or configure ENXIO, or no device in sysfs: someone's LOOP_CTL_REMOVE deleted it (LoopPool.Reclaim
    ///   of another remove can, before we open it);
    /// locked for longer than LockForUdev waits: still ours (<paramref name="stillOurs"/>), unbound.
    /// <paramref name="madeAs"/> is the diskseq of the device before the bind, which its "add" uevent carries.
    /// </summary>
    private static unsafe SafeFd? TryConfigure(int number, string path, OpenedTarget backing, bool readOnly,
                                               uint blockSize, out string? lost, out bool stillOurs, out ulong madeAs)
    {
        stillOurs = false;
        madeAs = 0;
        SafeFd? fd = OpenNew(number, path, readOnly, out lost);
        if (fd is null)
            return null;
        if (LockForUdev(fd, path) is string locked)
        {
            fd.Dispose();
            lost = locked;
            stillOurs = true;
            return null;
        }
        try
        {
            madeAs = DiskSequence.Read(fd, path);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
        var config = new LibC.loop_config
        {
            fd = (uint)backing.Fd.Fd,
            block_size = blockSize,
            info = { lo_flags = LibC.LO_FLAGS_AUTOCLEAR | (readOnly ? LibC.LO_FLAGS_READ_ONLY : 0) },
        };
        if (LibC.ioctl(fd, LibC.LOOP_CONFIGURE, &config) == 0)
            return fd;
        var error = new NativeException("ioctl(LOOP_CONFIGURE)", path, Marshal.GetLastPInvokeError());
        fd.Dispose();
        lost = error.Message;
        return error.Errno is LibC.EBUSY or LibC.ENXIO ? null : throw error;
    }

    /// <summary>
    /// devtmpfs creates the node before LOOP_CTL_ADD returns; a /dev that udev alone populates lags it, so a
    /// missing node is waited for (PollBackoff, 2 s in all) while the device exists in sysfs.
    /// </summary>
    private static SafeFd? OpenNew(int number, string path, bool readOnly, out string? lost)
    {
        int flags = (readOnly ? LibC.O_RDONLY : LibC.O_RDWR) | LibC.O_EXCL | LibC.O_CLOEXEC | LibC.O_NOCTTY | LibC.O_NOFOLLOW;
        var backoff = new PollBackoff(NodeWait);
        while (true)
        {
            SafeFd fd = LibC.open(path, flags, 0);
            if (!fd.IsInvalid)
            {
                lost = null;
                return fd;
            }
            var error = new NativeException("open", path, Marshal.GetLastPInvokeError());
            fd.SetHandleAsInvalid();
            lost = error.Message;
            if (error.Errno is LibC.EBUSY or LibC.ENXIO)
                return null;
            if (error.Errno != LibC.ENOENT)
                throw error;
            if (!System.IO.Directory.Exists($"{Sysfs.Root}/block/loop{number}"))
                return null; // removed meanwhile
            if (!backoff.Wait())
                throw new HotplugFailure($"{path} did not appear within {NodeWait.TotalSeconds} s of LOOP_CTL_ADD making loop{number}", error);
        }
    }

    private static readonly TimeSpan NodeWait = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Takes the device's BSD lock, held until the udev marker exists (FromConfigured). systemd-udevd (v250 and
    /// later) requeues every event of a whole block device that someone holds LOCK_EX on and retries it every
    /// 200 ms (systemd.io/BLOCK_DEVICE_LOCKING; docs/protocol-facts.md §10), so the "change" uevent of
    /// LOOP_CONFIGURE is processed only once UdevMarker has marked the binding: no udev rule ever sees the
    /// guest's data unmarked. While udevd works on the new device's "add" event it holds a shared lock, for
    /// milliseconds: waited for (PollBackoff, 2 s in all). A lock held longer is someone's claim.
    /// </summary>
    private static string? LockForUdev(SafeFd fd, string path)
    {
        var backoff = new PollBackoff(LockWait);
        while (true)
        {
            if (LibC.flock(fd, LibC.LOCK_EX | LibC.LOCK_NB) == 0)
                return null;
            int errno = Marshal.GetLastPInvokeError();
            if (errno != LibC.EAGAIN && errno != LibC.EINTR)
            {
                fd.Dispose();
                throw new NativeException("flock(LOCK_EX)", path, errno);
            }
            if (!backoff.Wait())
                return $"{path} stayed locked (flock) by another process for {LockWait.TotalSeconds} s";
        }
    }

    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(2);

    private static LoopDevice FromConfigured(int number, string path, SafeFd fd, int attempts, ulong madeAs)
    {
        try
        {
            var loop = new LoopDevice(number, path, fd, created: true, attempts);
            UdevMarker.Mark($"loop{number}", loop.Diskseq, madeAs);
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
            LoopPool.Release(number);
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
            var loop = new LoopDevice(NumberOf(name), path, fd, created: false, attempts: 0);
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

    /// <summary>N of a name IsLoopName accepted (loopN).</summary>
    internal static int NumberOf(ReadOnlySpan<char> loopName) => int.Parse(loopName["loop".Length..]);

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
    /// Not relinquished and created by us: nobody else should hold the device, so tear it down now, and delete
    /// the device we made (LoopPool). Order: LOOP_CLR_FD while we still hold the fd (on 6.x it only sets
    /// AUTOCLEAR, already set, and rundown state so no new opener gets in; older kernels detach right here when
    /// we are the only opener), then close, which is the last close and detaches through autoclear. A device
    /// we only found (OpenExisting) is just closed.
    /// </summary>
    public void Dispose()
    {
        if (Fd.IsClosed)
            return;
        if (Created && !relinquished)
        {
            ClearAndClose(Fd, Path);
            LoopPool.Release(Number);
        }
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
