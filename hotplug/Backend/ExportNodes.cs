using BlockDiskseq.Cli;
using BlockDiskseq.Disk;
using BlockDiskseq.Reporting;
using BlockDiskseq.Devices;
using XenstoreInterop;

namespace BlockDiskseq.Backend;

/// <summary>
/// What add notes beside the device: the wait method it took (BlkbackWait.Method) and the test hook's diskseq
/// offset (0 outside the lab's refusal scenario).
/// </summary>
internal readonly record struct ExportNotes(string WaitMethod, ulong DiskseqTestOffset);

/// <summary>The nodes add writes for blkback and for remove: written in one transaction, removed in order.</summary>
internal static class ExportNodes
{
    internal static string RecordNode(BackendPath be) => OwnNode(be, BackendNodes.Layers);

    /// <summary>A node in our own directory under the backend (the record, the wait path, the dm ABI).</summary>
    internal static string OwnNode(BackendPath be, string key) => BackendNodes.Path(be.Path, BackendNodes.OwnDirectory, key);

    /// <summary>The backend left InitWait (or never reached it); null means the state node is gone.</summary>
    internal static HotplugFailure NotInitWait(string? state) => new(state switch
    {
        _ when XenbusStates.IsTearingDown(state) => $"backend state is {state}: the toolstack is tearing the device down",
        null => "backend state is missing: the toolstack removed the device",
        _ => $"backend state is {Printable.Quote(state)}, not 2 (InitWait): blkback is not waiting for a device",
    });

    /// <summary>
    /// One transaction, so blkback's watch on physical-device always finds diskseq beside it (docs/protocol-facts.md §6)
    /// and remove always finds our record: all of it or none. The state re-check inside it closes the race
    /// with a toolstack that gave up on us (Xen's block re-checks state under its lock for the same reason).
    /// </summary>
    /// <param name="staleHotplugError">The backend listing showed a hotplug-error (from an earlier failed add): delete it.</param>
    internal static void Write(Xenstore xs, BackendPath be, ExportedDevice export, ExportNotes notes, bool staleHotplugError)
    {
        ulong diskseq = export.Diskseq + notes.DiskseqTestOffset;
        if (notes.DiskseqTestOffset != 0)
            Log.Warning($"test hook {TestHooks.DiskseqOffsetVariable}: writing diskseq {DiskSequence.Format(diskseq)} "
                + $"for {export}: a diskseq-checking blkback must refuse it");
        try
        {
            Transact(xs, be, export, notes.WaitMethod, diskseq, staleHotplugError);
        }
        catch (XenstoreException e) when (ConnectionLoss.IsLost(xs, e))
        {
            ConnectionLoss.Reconnect(xs, e, "while writing physical-device");
            if (!Committed(xs, be, export, diskseq))
                Transact(xs, be, export, notes.WaitMethod, diskseq, staleHotplugError); // checks the state and physical-device again
        }
    }

    /// <summary>
    /// After the connection dropped during the transaction: did it commit? A reply lost after the daemon applied
    /// the commit looks like a commit that never arrived. The transaction is all or nothing, so three of its
    /// nodes tell: all ours means committed (the device must stay: blkback may already be opening it), none
    /// means not (writing again is safe), anything else is another writer and fails the add.
    /// </summary>
    private static bool Committed(Xenstore xs, BackendPath be, ExportedDevice export, ulong diskseq)
    {
        string? physicalDevice = xs.TryRead(be.Node(BackendNodes.PhysicalDevice));
        string? diskseqText = xs.TryRead(be.Node(BackendNodes.Diskseq));
        string? record = xs.TryRead(RecordNode(be));
        if (physicalDevice == export.Device.ToString() && diskseqText == DiskSequence.Format(diskseq)
            && record == export.Record.ToString())
        {
            Log.Info($"the transaction for {export} had committed before the connection dropped: going on");
            return true;
        }
        if (physicalDevice is null && record is null)
        {
            Log.Info($"the transaction for {export} had not committed when the connection dropped: writing it again");
            return false;
        }
        throw new HotplugFailure($"after the Xenstore connection dropped during the transaction, physical-device is "
            + $"{Printable.Quote(physicalDevice)} and diskseq {Printable.Quote(diskseqText)}, not ours ({export.Device}, "
            + $"{DiskSequence.Format(diskseq)}): another add wrote them");
    }

    private static void Transact(Xenstore xs, BackendPath be, ExportedDevice export, string waitMethod, ulong diskseq,
                                 bool staleHotplugError) => xs.Transact(tx =>
    {
        string? state = xs.TryRead(be.Node(BackendNodes.State), tx);
        if (XenbusStates.Parse(state) != XenbusState.InitWait)
            throw NotInitWait(state);
        if (xs.TryRead(be.Node(BackendNodes.PhysicalDevice), tx) is string other)
            throw AddedMeanwhile.PhysicalDevice(be, other);
        xs.Write(be.Node(BackendNodes.Diskseq), DiskSequence.Format(diskseq), tx);
        xs.Write(be.Node(BackendNodes.PhysicalDevice), export.Device.ToString(), tx);
        xs.Write(be.Node(BackendNodes.PhysicalDevicePath), export.Path, tx);
        if (export.LoopPath is string loopPath)
            xs.Write(be.Node(BackendNodes.LoopNode), loopPath, tx);
        xs.Write(RecordNode(be), export.Record.ToString(), tx);
        xs.Write(OwnNode(be, BackendNodes.WaitMethod), waitMethod, tx);
        if (export.DmAbi is string abi)
            xs.Write(OwnNode(be, BackendNodes.DmAbi), abi, tx);
        xs.Write(be.Node(BackendNodes.HotplugStatus), BackendNodes.StatusConnected, tx);
        if (staleHotplugError)
            xs.Delete(be.Node(BackendNodes.HotplugError), tx); // a stale one from an earlier failed add
    });

    /// <summary>physical-device written by us: our record (same transaction) is there and names that device.</summary>
    internal static bool IsOurs(string physicalDevice, string? recordText)
        => DiskseqRecord.TryParse(recordText, out DiskseqRecord record)
           && (record.Top is not CreatedLayer top || top.Device.ToString() == physicalDevice);

    /// <summary>
    /// Removes what Write wrote except the record. physical-device goes first: it is the node blkback
    /// watches, and without it a stale diskseq means nothing (qubes-block: "order matters here"). node is
    /// deleted only when add wrote it (a plain loop device: <paramref name="wroteLoopNode"/>), so the other
    /// forms' remove makes one request fewer. Missing nodes are fine: remove may run twice, or after a failed add.
    /// </summary>
    internal static void Forget(Xenstore xs, BackendPath be, bool wroteLoopNode)
    {
        string[] keys = wroteLoopNode ? ForgottenKeysOfLoop : ForgottenKeys;
        foreach (string key in keys)
            xs.Delete(be.Node(key));
        Log.Step($"deleted {string.Join(", ", keys)}");
    }

    private static readonly string[] ForgottenKeys =
        [BackendNodes.PhysicalDevice, BackendNodes.Diskseq, BackendNodes.PhysicalDevicePath];
    private static readonly string[] ForgottenKeysOfLoop = [.. ForgottenKeys, BackendNodes.LoopNode];

    /// <summary>Whether add wrote node for this record: its top layer is a loop device (ExportedDevice.LoopPath).</summary>
    internal static bool WroteLoopNode(DiskseqRecord record) => record.Top is CreatedLayer { Kind: LayerKind.Loop };

    /// <summary>
    /// After a failed add: leave no half-exported device behind. If the connection is what failed (xenstored
    /// restarted or dropped us: libxenstore then fails every request on it), one fresh connection is tried,
    /// as for hotplug-error (HotplugRun); without it the nodes would name a device that goes with us
    /// (docs/reliability.md). Best effort: the add fails anyway.
    /// </summary>
    internal static void Undo(Xenstore xs, BackendPath be, bool wroteLoopNode)
        => OnWorkingConnection(xs, "undoing the exported nodes", connection =>
        {
            Forget(connection, be, wroteLoopNode);
            connection.Delete(BackendNodes.Path(be.Path, BackendNodes.OwnDirectory));
        });

    /// <summary>
    /// After our commit failed with a Xenstore error rather than a refusal: its reply may have been lost after
    /// xenstored applied it (docs/reliability.md). Undo it only if what is there is exactly ours, in one
    /// transaction, so an export another add made in the meantime is left alone (for a block device used as
    /// is, another add of the same backend writes the same nodes; libxl never runs two).
    /// </summary>
    internal static void UndoIfCommitted(Xenstore xs, BackendPath be, ExportedDevice export)
        => OnWorkingConnection(xs, "undoing a commit whose outcome was lost", connection => connection.Transact(tx =>
        {
            if (connection.TryRead(be.Node(BackendNodes.PhysicalDevice), tx) != export.Device.ToString()
                || connection.TryRead(RecordNode(be), tx) != export.Record.ToString())
                return; // not applied, or not ours
            foreach (string key in export.LoopPath is null ? ForgottenKeys : ForgottenKeysOfLoop)
                connection.Delete(be.Node(key), tx);
            connection.Delete(BackendNodes.Path(be.Path, BackendNodes.OwnDirectory), tx);
            Log.Step("the lost commit had been applied: undone");
        }));

    /// <summary>Runs the action on this connection, or once on a fresh one if this one fails; best effort.</summary>
    private static void OnWorkingConnection(Xenstore xs, string what, System.Action<Xenstore> action)
    {
        try
        {
            try
            {
                action(xs);
                return;
            }
            catch (XenstoreException e)
            {
                Log.Step($"{what}: {e.Message}; trying a new connection");
            }
            using Xenstore fresh = Xenstore.Open();
            action(fresh);
        }
        catch (XenstoreException e)
        {
            // The failure being reported matters more; remove, which libxl runs after a failed add, retries.
            Log.Warning(e.ConnectionLost
                ? $"{what}: Xenstore is not reachable: {e.Message}"
                : $"{what}: {e.Message}, ignoring");
        }
    }
}
