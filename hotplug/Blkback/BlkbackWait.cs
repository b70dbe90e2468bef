using System;
using BlockDiskseq.Backend;
using BlockDiskseq.Cli;
using BlockDiskseq.Devices;
using BlockDiskseq.Reporting;
using XenstoreInterop;

namespace BlockDiskseq.Blkback;

/// <summary>
/// Waits until xen-blkback holds the device we exported, so our fd (the only other reference to a
/// delete-on-close loop device) can go. Two kinds of kernel:
/// - with the seed series' blkback patch, blkback writes opened=0 at probe (before libxl runs us) and
///   opened=1 once it holds the device (docs/protocol-facts.md §6): watch it;
/// - mainline has no such node; blkback creates the sysfs attribute
///   bus/xen-backend/devices/vbd-DOMID-DEVID/physical_device right after opening (docs/protocol-facts.md §5): poll for it.
/// Either way the backend moving to Closing/Closed, or blkback's error node appearing, means it failed.
/// The watches go on after our transaction, not before: every condition is a state that is read again
/// after its watch exists (each watch fires once when set), so nothing can slip between the write and the
/// wait, and the requests before it don't pay for libxenstore's reader thread, which the first watch starts.
/// </summary>
internal sealed class BlkbackWait
{
    private const string Token = "block-diskseq";
    /// <summary>The values of BackendNodes.WaitMethod: which signal add waited for.</summary>
    internal const string OpenedMethod = "opened";
    internal const string SysfsMethod = "sysfs";
    internal const string NoWaitMethod = "none";
    /// <summary>
    /// Mainline polling: the first check comes 1 ms after the write (blkback opens in its watch callback,
    /// usually within a millisecond), then the interval doubles up to 16 ms, so a slow open is seen at most
    /// 16 ms late and a 30 s deadline costs about 1,900 stat calls at worst.
    /// </summary>
    private static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan LongestPoll = TimeSpan.FromMilliseconds(16);
    /// <summary>
    /// How long the wait goes without a word from Xenstore before it reads the state node to prove the
    /// connection still works: a dead xenstored is noticed within about this long, not at the deadline.
    /// </summary>
    internal static readonly TimeSpan LivenessInterval = TimeSpan.FromMilliseconds(500);
    /// <summary>A daemon restarting once (or dropping us once) is survivable; again and again is a broken host.</summary>
    private const int MaxReconnects = 3;

    private readonly BackendPath be;
    private readonly string? blkbackErrorBefore;
    /// <summary>null on a series kernel (we watch opened), else the sysfs attribute to wait for.</summary>
    private readonly string? sysfsAttribute;

    /// <summary>How this wait knows blkback holds the device: OpenedMethod (series blkback) or SysfsMethod (mainline).</summary>
    public string Method => sysfsAttribute is null ? OpenedMethod : SysfsMethod;

    private BlkbackWait(BackendPath be, string? blkbackErrorBefore, string? sysfsAttribute)
    {
        this.be = be;
        this.blkbackErrorBefore = blkbackErrorBefore;
        this.sysfsAttribute = sysfsAttribute;
    }

    /// <summary>Picks the wait path from what add read before exporting anything: an opened node or none.</summary>
    internal static BlkbackWait For(BackendPath be, AddRequest request, Settings settings)
    {
        if (request.Opened is not (null or "0"))
        {
            string message = $"{be.Node(BackendNodes.Opened)} is {Printable.Quote(request.Opened)} before "
                + "physical-device was written; expected '0' (or no node on kernels without the diskseq series)";
            // blkback writes 1 only once it holds a device: another add may have exported one since Add.Run first looked.
            throw request.Opened == "1" ? new AddedMeanwhile(message) : new HotplugFailure(message);
        }
        bool series = request.Opened == "0";
        string? sysfs = series ? null : settings.BlkbackPhysicalDeviceAttribute(be);
        Log.Step(series ? "wait path: opened (blkback writes the opened node: watching it)"
            : $"wait path: sysfs (no opened node, mainline blkback: polling {sysfs})");
        return new BlkbackWait(be, request.BlkbackError, sysfs);
    }

    /// <summary>
    /// Returns once blkback holds <paramref name="device"/>; throws HotplugFailure otherwise. One watch, on the
    /// backend directory (state and opened; SetWatches says why the error node needs none). A node is read
    /// only when an event names it (or the directory itself: the first event, or the directory going away),
    /// so blkback's other writes under the backend cost nothing. A connection that fails meanwhile (noticed within LivenessInterval) is
    /// replaced and the watches set again, up to MaxReconnects times; if Xenstore cannot be reached the wait
    /// fails with "Xenstore went away" and add tears down.
    /// </summary>
    internal void UntilHeld(Xenstore xs, DeviceNumber device, Deadline deadline)
    {
        try
        {
            Wait(xs, device, deadline);
        }
        catch (HotplugFailure)
        {
            LeaveWatchBacklog(xs);
            throw;
        }
    }

    /// <summary>
    /// After a failed wait, the teardown's requests go on a new connection. Replies and watch events share one
    /// socket, in order: behind a flood of events the next reply comes only once the flood has been read, and
    /// the teardown would wait for all of it. A new connection has no watches and no backlog.
    /// </summary>
    private static void LeaveWatchBacklog(Xenstore xs)
    {
        try
        {
            xs.Reconnect();
        }
        catch (XenstoreException e)
        {
            Log.Step($"no new connection for the teardown ({e.Message}): using the old one");
        }
    }

    private void Wait(Xenstore xs, DeviceNumber device, Deadline deadline)
    {
        var nodes = new WatchedNodes(be, sysfsAttribute is null);
        var heard = new HeardFrom();
        bool watching = false;
        int reconnects = 0;
        TimeSpan poll = FirstPoll;
        while (true)
        {
            try
            {
                if (!watching)
                    SetWatches(xs);
                watching = true;
                if (Check(xs, nodes, device, deadline, Wake(poll, deadline), heard))
                    return;
            }
            catch (XenstoreException e) when (ConnectionLoss.IsLost(xs, e))
            {
                // The daemon may have restarted (and kept the nodes) or dropped only us: wait on a new connection.
                if (++reconnects > MaxReconnects)
                    throw new HotplugFailure($"lost the connection to Xenstore {reconnects} times while waiting for blkback: {e.Message}", e);
                ConnectionLoss.Reconnect(xs, e, "while waiting for blkback");
                watching = false;
                nodes.MarkAllStale();
            }
            if (deadline.Passed)
                throw new HotplugFailure($"blkback did not open {device} within {deadline.Limit.TotalSeconds:0.###} s "
                    + $"(waited for {(sysfsAttribute is null ? be.Node(BackendNodes.Opened) + " = 1" : sysfsAttribute)})");
            poll = Min(poll * 2, LongestPoll);
        }
    }

    /// <summary>
    /// One watch, on the backend directory (state and opened). blkback's error node needs none: every failure
    /// of blkback's backend_changed (reading physical-device or mode, xen_vbd_create, the sysfs entries, and
    /// the series' diskseq refusal) goes through xenbus_dev_fatal, which writes the error node and then
    /// switches the state to Closing (docs/protocol-facts.md §5), and Closing makes CheckNotFailed read the
    /// error node. A watch of its own cost two requests per add (the watch and the read of its first event).
    /// </summary>
    private void SetWatches(Xenstore xs) => xs.Watch(be.Path, Token);

    /// <summary>
    /// Mainline: the next sysfs poll. Either kind: at most LivenessInterval, so a dead connection (which no
    /// event announces: libxenstore's reader thread ends without waking the watch pipe) is seen in time.
    /// </summary>
    private TimeSpan Wake(TimeSpan poll, Deadline deadline)
        => Min(sysfsAttribute is null ? deadline.Remaining : Min(poll, deadline.Remaining), LivenessInterval);

    /// <summary>
    /// One round: takes the queued events, reads what they name, judges. Everything already queued is taken at
    /// once, so a burst of events costs one read per node; but never past the deadline, so a flood of events
    /// (blkback's or anyone's writes under the backend) cannot stretch the wait.
    /// </summary>
    private bool Check(Xenstore xs, WatchedNodes nodes, DeviceNumber device, Deadline deadline, TimeSpan wake, HeardFrom heard)
    {
        for (XenstoreWatchEvent? e = xs.WaitForWatchEvent(wake); e is not null; e = deadline.Passed ? null : xs.WaitForWatchEvent(TimeSpan.Zero))
            nodes.Changed(e.Value.Path);
        if (heard.Silent)
            nodes.State.Stale = true; // the liveness probe: a read the daemon must answer
        // opened (or the sysfs attribute) first: once blkback holds the device, the state need not be read.
        if (nodes.Opened.ReadIfStale(xs))
            heard.Now();
        if (IsHeld(nodes.Opened, device))
            return true;
        if (nodes.State.ReadIfStale(xs))
            heard.Now();
        CheckNotFailed(xs, nodes);
        return false;
    }

    /// <summary>When Xenstore last answered us; silent for LivenessInterval means: ask it something.</summary>
    private sealed class HeardFrom
    {
        private long last = System.Diagnostics.Stopwatch.GetTimestamp();

        public bool Silent => System.Diagnostics.Stopwatch.GetElapsedTime(last) >= LivenessInterval;

        public void Now() => last = System.Diagnostics.Stopwatch.GetTimestamp();
    }

    private bool IsHeld(WatchedNode opened, DeviceNumber device)
    {
        if (sysfsAttribute is null)
        {
            if (!opened.Known || opened.Value is "0")
                return false;
            if (opened.Value is "1")
                return true;
            throw new HotplugFailure($"{opened.Path} became {Printable.Quote(opened.Value)} while waiting for blkback");
        }
        string? attribute = KernelFile.TryReadText(sysfsAttribute)?.TrimEnd('\n');
        if (attribute is null)
            return false;
        if (attribute != device.ToString())
            throw new HotplugFailure($"blkback opened {attribute} ({sysfsAttribute}), not {device}");
        return true;
    }

    /// <summary>
    /// The error node before the state. xenbus_dev_fatal writes the error before it switches to Closing, so
    /// the error node read after a Closing state always shows blkback's reason, even when the event that
    /// names the error node is still queued.
    /// </summary>
    private void CheckNotFailed(Xenstore xs, WatchedNodes nodes)
    {
        bool closing = nodes.State.Known && (nodes.State.Value is null || XenbusStates.IsTearingDown(nodes.State.Value));
        if (closing)
            nodes.Error.Read(xs);
        if (nodes.Error.Value is string error && error != blkbackErrorBefore)
            throw new HotplugFailure($"blkback failed to open the device: {be.BlkbackErrorNode}: {error}"
                + (sysfsAttribute is null && error.StartsWith(NoSuchDeviceError, StringComparison.Ordinal)
                    ? " (a diskseq-checking blkback: the device it opened did not carry the diskseq we wrote)" : ""));
        if (closing)
            throw new HotplugFailure($"backend state became {nodes.State.Value ?? "missing"} before blkback opened the device: "
                + "the toolstack is tearing it down");
    }

    /// <summary>
    /// ENODEV as xenbus_dev_fatal formats it ("19 creating vbd structure"): the series' blkback answers a
    /// diskseq mismatch with it (docs/protocol-facts.md §6); mainline uses it only for a device with no disk.
    /// </summary>
    private const string NoSuchDeviceError = "19 ";

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
