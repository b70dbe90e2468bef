using System;
using BlockDiskseq.Devices;
using XenstoreInterop;

namespace BlockDiskseq.Flow;

/// <summary>
/// Waits until xen-blkback holds the device we exported, so our fd (the only other reference to a
/// delete-on-close loop device) can go. Two kinds of kernel:
/// - with the seed series' blkback patch, blkback writes opened=0 at probe (before libxl runs us) and
///   opened=1 once it holds the device (protocol.md 3.3): watch it;
/// - mainline has no such node; blkback creates the sysfs attribute
///   bus/xen-backend/devices/vbd-DOMID-DEVID/physical_device right after opening (protocol.md 5.6): poll for it.
/// Either way the backend moving to Closing/Closed, or blkback's error node appearing, means it failed.
/// Watches are registered before our transaction so no change can slip between the write and the wait.
/// </summary>
internal sealed class BlkbackWait : IDisposable
{
    private const string Token = "block-diskseq";
    /// <summary>The values of BackendNodes.WaitPath: which signal add waited for.</summary>
    internal const string OpenedPath = "opened";
    internal const string SysfsPath = "sysfs";
    internal const string NoWaitPath = "none";
    /// <summary>
    /// Mainline polling: the first check comes 1 ms after the write (blkback opens in its watch callback,
    /// usually within a millisecond), then the interval doubles up to 16 ms, so a slow open is seen at most
    /// 16 ms late and a 30 s deadline costs about 1,900 stat calls at worst.
    /// </summary>
    private static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan LongestPoll = TimeSpan.FromMilliseconds(16);

    private readonly Xenstore xs;
    private readonly BackendPath be;
    private readonly string? blkbackErrorBefore;
    /// <summary>null on a series kernel (we watch opened), else the sysfs attribute to wait for.</summary>
    private readonly string? sysfsAttribute;
    private readonly string[] watched;

    /// <summary>OpenedPath (series blkback) or SysfsPath (mainline).</summary>
    public string Path => sysfsAttribute is null ? OpenedPath : SysfsPath;

    private BlkbackWait(Xenstore xs, BackendPath be, string? blkbackErrorBefore, string? sysfsAttribute, string[] watched)
    {
        this.xs = xs;
        this.be = be;
        this.blkbackErrorBefore = blkbackErrorBefore;
        this.sysfsAttribute = sysfsAttribute;
        this.watched = watched;
    }

    internal static BlkbackWait Start(Xenstore xs, BackendPath be, AddRequest request, Settings settings)
    {
        bool series = request.Opened switch
        {
            null => false,
            "0" => true,
            _ => throw new HotplugFailure($"{be.Node(BackendNodes.Opened)} is {Sanitise.Quote(request.Opened)} before "
                + "physical-device was written; expected '0' (or no node on kernels without the diskseq series)"),
        };
        string? sysfs = series ? null : settings.BlkbackPhysicalDeviceAttribute(be);
        string[] watched = series
            ? [be.Node(BackendNodes.State), be.BlkbackErrorNode, be.Node(BackendNodes.Opened)]
            : [be.Node(BackendNodes.State), be.BlkbackErrorNode];
        var wait = new BlkbackWait(xs, be, request.BlkbackError, sysfs, watched);
        foreach (string path in watched)
            xs.Watch(path, Token);
        Log.Step(series ? "wait path: opened (blkback writes the opened node: watching it)"
            : $"wait path: sysfs (no opened node, mainline blkback: polling {sysfs})");
        return wait;
    }

    /// <summary>Returns once blkback holds <paramref name="device"/>; throws HotplugFailure otherwise.</summary>
    internal void UntilHeld(DeviceNumber device, Deadline deadline)
    {
        TimeSpan poll = FirstPoll;
        while (true)
        {
            if (IsHeld(device))
                return;
            CheckNotFailed();
            if (deadline.Passed)
                throw new HotplugFailure($"blkback did not open {device} within {deadline.Limit.TotalSeconds:0.###} s "
                    + $"(waited for {(sysfsAttribute is null ? be.Node(BackendNodes.Opened) + " = 1" : sysfsAttribute)})");
            TimeSpan wake = sysfsAttribute is null ? deadline.Remaining : Min(poll, deadline.Remaining);
            // Which watch fired does not matter: every condition is re-read after any wake-up.
            _ = xs.WaitForWatchEvent(wake);
            poll = Min(poll * 2, LongestPoll);
        }
    }

    private bool IsHeld(DeviceNumber device)
    {
        if (sysfsAttribute is null)
        {
            string? opened = xs.TryRead(be.Node(BackendNodes.Opened));
            if (opened is "1")
                return true;
            if (opened is not "0")
                throw new HotplugFailure($"{be.Node(BackendNodes.Opened)} became {Sanitise.Quote(opened)} while waiting for blkback");
            return false;
        }
        string? attribute = KernelFile.TryReadText(sysfsAttribute)?.TrimEnd('\n');
        if (attribute is null)
            return false;
        if (attribute != device.ToString())
            throw new HotplugFailure($"blkback opened {Sanitise.Line(attribute)} ({sysfsAttribute}), not {device}");
        return true;
    }

    /// <summary>
    /// State first, then the error node: xenbus_dev_fatal writes the error before it switches to Closing,
    /// so a Closing caused by blkback always shows its reason here.
    /// </summary>
    private void CheckNotFailed()
    {
        string? state = xs.TryRead(be.Node(BackendNodes.State));
        string? error = xs.TryRead(be.BlkbackErrorNode);
        if (error is not null && error != blkbackErrorBefore)
            throw new HotplugFailure($"blkback failed to open the device: {be.BlkbackErrorNode}: {Sanitise.Line(error)}"
                + (sysfsAttribute is null && error.StartsWith(NoSuchDeviceError, StringComparison.Ordinal)
                    ? " (a diskseq-checking blkback: the device it opened did not carry the diskseq we wrote)" : ""));
        if (state is null or "5" or "6")
            throw new HotplugFailure($"backend state became {state ?? "missing"} before blkback opened the device: "
                + "the toolstack is tearing it down");
    }

    /// <summary>
    /// ENODEV as xenbus_dev_fatal formats it ("19 creating vbd structure"): the series' blkback answers a
    /// diskseq mismatch with it (protocol.md 3.2); mainline uses it only for a device with no disk.
    /// </summary>
    private const string NoSuchDeviceError = "19 ";

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    public void Dispose()
    {
        foreach (string path in watched)
        {
            try
            {
                xs.Unwatch(path, Token);
            }
            catch (XenstoreException e)
            {
                // The connection closes at exit, which drops the watches anyway.
                Log.Step($"unwatch {path}: {e.Message}, ignoring");
            }
        }
    }
}
