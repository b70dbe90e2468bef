using System;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using BlockDiskseq.Devices;
using BlockDiskseq.Native;
using TestXenstored;

namespace BlockDiskseq.TestSupport;

/// <summary>
/// Plays xen-blkback for one vbd backend on the test Xenstore server, with real block devices
/// (drivers/block/xen-blkback/xenbus.c, docs/protocol-facts.md §5, §6):
/// - probe: the vbd-D-N device directory on the xen-backend bus in sysfs (xenbus registers the device before
///   blkback probes it), opened=0 (series flavour only), then state=2 (InitWait);
/// - on physical-device: opens the device by its number (a node made with mknod, as blkdev_get_by_dev
///   needs no path), requires the diskseq node beside it (stricter than the series, see Open, unless
///   AcceptMissingDiskseq), compares
///   BLKGETDISKSEQ with it (the series' check; a mismatch is
///   xenbus_dev_fatal: the error node, then state 5), holds the fd, then creates the sysfs attribute
///   bus/xen-backend/devices/vbd-D-N/physical_device (both flavours: the series' blkback is mainline's with
///   the opened node added) and writes opened=1 (series);
/// - on state 5 or 6 (the toolstack tears down): drops the device, as xen_vbd_free does.
/// </summary>
internal sealed class BlkbackEmulator : IDisposable
{
    private const int ENODEV = 19;
    private const int ENOENT = 2;
    private const int EINVAL = 22;

    private readonly XenstoreServer server;
    private readonly string backend;          // absolute: /local/domain/0/backend/vbd/D/N
    private readonly string errorNode;        // /local/domain/0/error/backend/vbd/D/N/error
    private readonly string sysfsAttribute;   // <root>/bus/xen-backend/devices/vbd-D-N/physical_device
    private readonly string nodeDirectory;
    private readonly IDisposable subscription;
    private readonly Lock gate = new();
    private SafeFd? held;
    private bool failed;

    public BlkbackFlavour Flavour { get; }
    /// <summary>Fault: never open the device (a blkback that hangs); tests then play the toolstack.</summary>
    public bool Stall { get; set; }
    /// <summary>Fault: act as if the device's diskseq differed from the node (a device freed and reused).</summary>
    public bool ReportDiskseqMismatch { get; set; }
    /// <summary>
    /// As the series' blkback itself: physical-device without a diskseq node is opened unchecked
    /// (docs/protocol-facts.md §6). For scripts that write no diskseq: Xen's own block script in bench/run.
    /// </summary>
    public bool AcceptMissingDiskseq { get; set; }
    /// <summary>The device held now, if any.</summary>
    public DeviceNumber? HeldDevice { get; private set; }
    /// <summary>How many times a device was opened and held.</summary>
    public int OpenCount { get; private set; }
    /// <summary>An exception thrown while reacting to a change (a bug in the emulator or the test).</summary>
    public Exception? Error { get; private set; }

    public BlkbackEmulator(XenstoreServer server, uint frontendId, uint deviceId, BlkbackFlavour flavour, string sysfsRoot)
    {
        this.server = server;
        Flavour = flavour;
        backend = $"/local/domain/0/backend/vbd/{frontendId}/{deviceId}";
        errorNode = $"/local/domain/0/error/backend/vbd/{frontendId}/{deviceId}/error";
        sysfsAttribute = Path.Combine(sysfsRoot, "bus", "xen-backend", "devices", $"vbd-{frontendId}-{deviceId}", "physical_device");
        nodeDirectory = Directory.CreateTempSubdirectory("blkback-nodes-").FullName;
        Directory.CreateDirectory(Path.GetDirectoryName(sysfsAttribute)!);
        if (flavour == BlkbackFlavour.Series)
            server.Write($"{backend}/opened", "0");
        subscription = server.OnChange(backend, _ => OnBackendChanged());
        server.Write($"{backend}/state", "2");
    }

    /// <summary>What the guest would read at the start of its disk now: up to count bytes through the held fd.</summary>
    public string ReadHeld(int count)
    {
        lock (gate)
            return held is null ? throw new InvalidOperationException("no device held") : TestNative.ReadStart(held, count);
    }

    /// <summary>Waits (bounded) until the emulator holds a device; false on timeout.</summary>
    public bool WaitUntilHeld(TimeSpan timeout) => SpinWait.SpinUntil(() => HeldDevice is not null, timeout);

    /// <summary>The toolstack's teardown (libxl: state 5, blkback closes, state 6), synchronously.</summary>
    public void Shutdown()
    {
        server.Write($"{backend}/online", "0");
        server.Write($"{backend}/state", "5");
        Release();
        server.Write($"{backend}/state", "6");
    }

    private void OnBackendChanged()
    {
        try
        {
            React();
        }
        catch (Exception e)
        {
            Error ??= e;
        }
    }

    private void React()
    {
        string? state = server.Read($"{backend}/state");
        if (state is "5" or "6")
        {
            Release();
            return;
        }
        string? physicalDevice = server.Read($"{backend}/physical-device");
        lock (gate)
        {
            if (physicalDevice is null || held is not null || failed || Stall)
                return;
            Open(physicalDevice);
        }
    }

    private void Open(string physicalDevice)
    {
        if (!DeviceNumber.TryParse(physicalDevice, out DeviceNumber device))
        {
            Fatal(22, "reading physical-device");
            return;
        }
        SafeFd? fd = OpenByNumber(device, writable: server.Read($"{backend}/mode")?.Contains('w') == true);
        if (fd is null)
        {
            Fatal(ENOENT, "creating vbd structure");
            return;
        }
        // The series' blkback reads a missing diskseq as "no check" (docs/protocol-facts.md §6); both flavours
        // here are stricter, because block-diskseq always writes it in physical-device's own transaction:
        // physical-device seen without a well-formed diskseq beside it is that guarantee broken.
        string? expected = server.Read($"{backend}/diskseq");
        if (expected is null && AcceptMissingDiskseq)
        {
            Hold(fd, device);
            return;
        }
        if (expected is null || !DiskSequence.TryParse(expected, out ulong wanted))
        {
            fd.Dispose();
            Fatal(EINVAL, expected is null ? "physical-device without diskseq" : "reading diskseq");
            return;
        }
        ulong actual = DiskSequence.Read(fd, physicalDevice);
        bool mismatch = ReportDiskseqMismatch || wanted != actual;
        if (mismatch)
        {
            fd.Dispose();
            Fatal(ENODEV, "creating vbd structure");
            return;
        }
        Hold(fd, device);
    }

    private void Hold(SafeFd fd, DeviceNumber device)
    {
        held = fd;
        HeldDevice = device;
        OpenCount++;
        // A sysfs attribute appears with its content (xenvbd_sysfs_addif): write aside, then rename.
        Directory.CreateDirectory(Path.GetDirectoryName(sysfsAttribute)!);
        File.WriteAllText(sysfsAttribute + ".new", $"{device}\n");
        File.Move(sysfsAttribute + ".new", sysfsAttribute);
        if (Flavour == BlkbackFlavour.Series)
            server.Write($"{backend}/opened", "1");
    }

    /// <summary>blkdev_get_by_dev: by number, non-exclusive, read-only unless the mode has a 'w'.</summary>
    private SafeFd? OpenByNumber(DeviceNumber device, bool writable)
    {
        string node = Path.Combine(nodeDirectory, $"{device.Major}-{device.Minor}");
        if (!File.Exists(node) && TestNative.mknod(node, LibC.S_IFBLK | 0x180, device.ToDevT()) != 0)
            throw new IOException($"mknod {node}: errno {Marshal.GetLastPInvokeError()}");
        SafeFd fd = LibC.open(node, (writable ? LibC.O_RDWR : LibC.O_RDONLY) | LibC.O_CLOEXEC, 0);
        if (fd.IsInvalid)
        {
            fd.SetHandleAsInvalid();
            return null;
        }
        return fd;
    }

    /// <summary>xenbus_dev_fatal: "%i %s" (positive errno, message) in the error node, then Closing.</summary>
    private void Fatal(int errno, string message)
    {
        failed = true;
        server.Write(errorNode, $"{errno.ToString(CultureInfo.InvariantCulture)} {message}");
        server.Write($"{backend}/state", "5");
    }

    private void Release()
    {
        lock (gate)
        {
            held?.Dispose();
            held = null;
            HeldDevice = null;
            if (File.Exists(sysfsAttribute))
                File.Delete(sysfsAttribute);
        }
    }

    /// <summary>
    /// The backend is gone (libxl__device_destroy): xenbus unregisters its vbd-D-N device, so the directory
    /// the constructor made leaves the bus. Left there, every later add scans it.
    /// </summary>
    public void Dispose()
    {
        subscription.Dispose();
        Release();
        if (Directory.Exists(nodeDirectory))
            Directory.Delete(nodeDirectory, recursive: true);
        string vbd = Path.GetDirectoryName(sysfsAttribute)!;
        if (Directory.Exists(vbd))
            Directory.Delete(vbd, recursive: true);
    }
}
