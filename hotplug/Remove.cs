using System;
using System.Collections.Generic;
using System.Linq;
using BlockDiskseq.Backend;
using BlockDiskseq.Cli;
using BlockDiskseq.DeviceMapper;
using BlockDiskseq.Devices;
using BlockDiskseq.Native;
using BlockDiskseq.Reporting;
using XenstoreInterop;

namespace BlockDiskseq;

/// <summary>
/// remove: runs after blkback reached Closed (docs/protocol-facts.md §3), also after a failed add. Works from
/// our record alone, never from params (the image may be gone or replaced): forgets the exported nodes,
/// then tears down each device we created, newest first, only if it still carries the recorded diskseq,
/// so a device that was freed and reused by someone else is never touched.
/// </summary>
internal static class Remove
{
    internal static void Run(Xenstore xs, Invocation invocation)
    {
        BackendPath be = invocation.Backend!;
        using var dm = new DeviceMapperSession();
        string recordNode = ExportNodes.RecordNode(be);
        string? text = xs.TryRead(recordNode);
        if (text is null)
        {
            ForgetWithoutRecord(xs, be);
            SweepDeviceMapperLeftovers(xs, be, dm, DiskseqRecord.Empty);
            ReclaimLoopDevices();
            return;
        }
        bool parsed = DiskseqRecord.TryParse(text, out DiskseqRecord record);
        ExportNodes.Forget(xs, be, wroteLoopNode: !parsed || ExportNodes.WroteLoopNode(record));
        if (!parsed)
            throw new HotplugFailure($"{recordNode} is malformed ({Printable.Quote(text)}): not touching any device");
        var outcomes = new List<LayerOutcome>();
        for (int i = record.Layers.Count - 1; i >= 0; i--)
            outcomes.Insert(0, TearDown(record.Layers[i], dm));
        SweepDeviceMapperLeftovers(xs, be, dm, record);
        string summary = LayerOutcome.Summarise(outcomes);
        var kept = outcomes.Where(outcome => outcome.Fate == LayerFate.Failed).Select(outcome => outcome.Layer).ToList();
        if (kept.Count > 0)
        {
            // Keep what is still ours, so a second remove (or a person) can finish the job.
            var left = new DiskseqRecord(kept);
            xs.Write(recordNode, left.ToString());
            throw new HotplugFailure($"could not tear down {left} (see the log); kept in {recordNode}; {summary}");
        }
        xs.Delete(BackendNodes.Path(be.Path, BackendNodes.OwnDirectory));
        Log.Info(summary);
        ReclaimLoopDevices();
    }

    /// <summary>Loop devices earlier removes had to leave (LoopPool): deleted here, never failing this remove.</summary>
    private static void ReclaimLoopDevices()
    {
        try
        {
            LoopPool.Reclaim();
        }
        catch (Exception e) when (e is NativeException or HotplugFailure)
        {
            Log.Warning($"deleting free loop devices of earlier teardowns: {e.Message}");
        }
    }

    /// <summary>
    /// No record. Usually add never exported (it failed, or never ran): nothing is ours. But our directory is
    /// written only by add's export transaction, together with physical-device, diskseq and
    /// physical-device-path, so while it exists (its record deleted by hand) those nodes are ours and are
    /// forgotten, then the directory; node only where it names physical-device-path, as add writes it for a
    /// plain loop device (Xen's block script writes node for its own loop devices only). Without the
    /// directory nothing says who wrote physical-device, so it is left alone. No device is touched: without
    /// the record nothing proves which one was ours, and ours go at blkback's last close anyway (autoclear,
    /// deferred dm remove); dm leftovers are swept by name as always.
    /// </summary>
    private static void ForgetWithoutRecord(Xenstore xs, BackendPath be)
    {
        string ownDirectory = BackendNodes.Path(be.Path, BackendNodes.OwnDirectory);
        if (!xs.Exists(ownDirectory))
        {
            Log.Info("nothing to remove: block-diskseq created nothing for this backend");
            return;
        }
        string? devicePath = xs.TryRead(be.Node(BackendNodes.PhysicalDevicePath));
        ExportNodes.Forget(xs, be, wroteLoopNode: devicePath is not null && xs.TryRead(be.Node(BackendNodes.LoopNode)) == devicePath);
        xs.Delete(ownDirectory);
        Log.Warning($"{ExportNodes.RecordNode(be)} is missing but {ownDirectory} is there: forgot the nodes add wrote; "
            + "no device touched (without the record none is known to be ours; ours go at blkback's last close)");
    }

    /// <summary>What became of the layer; Failed when it is ours and tearing it down failed.</summary>
    private static LayerOutcome TearDown(CreatedLayer layer, DeviceMapperSession dm)
    {
        try
        {
            return layer.Kind == LayerKind.DeviceMapper ? TearDownDeviceMapper(layer, dm) : TearDownLoop(layer);
        }
        catch (NativeException e) when (e.Errno == LibC.EBUSY)
        {
            // blkback drops its reference a moment after Closed (xen_blkif_free runs deferred, docs/protocol-facts.md §5);
            // the device is delete-on-close, so it goes when blkback lets go.
            Log.Warning($"{layer}: {e.Message}; it goes at its last close, ignoring");
            return new(layer, LayerFate.Removed, "goes at its last close");
        }
        catch (Exception e) when (e is NativeException or HotplugFailure)
        {
            // Kept in the record; the layers below are still torn down (a loop device under a dm device
            // we could not remove only goes at its last close, so that is safe).
            Log.Error($"{layer}: {e.Message}");
            return new(layer, LayerFate.Failed, e.Message);
        }
    }

    private static LayerOutcome TearDownLoop(CreatedLayer layer)
    {
        using LoopDevice? loop = LoopDevice.OpenExisting(layer.Device);
        if (loop is null || !loop.IsBound)
        {
            Log.Step($"{layer}: already detached");
            if (loop is not null)
            {
                loop.Dispose();
                LoopPool.Release(loop.Number); // free now: ours (blkback's close detached it) or nobody's
            }
            return new(layer, LayerFate.AlreadyGone, null);
        }
        if (loop.Diskseq != layer.Diskseq)
        {
            Log.Info($"{loop.Path} now has diskseq {DiskSequence.Format(loop.Diskseq)}, not {DiskSequence.Format(layer.Diskseq)}: "
                + "no longer the device we created, leaving it");
            return new(layer, LayerFate.Left, $"its diskseq is now {DiskSequence.Format(loop.Diskseq)} (reused)");
        }
        loop.Detach();
        Log.Step($"{layer}: detached {loop.Path}");
        loop.Dispose(); // our fd closed: if it was the last, the binding is gone and the device can go too
        LoopPool.Release(loop.Number);
        return new(layer, LayerFate.Removed, null);
    }

    /// <summary>Deferred removal checked by number, diskseq, name and uuid (DmTeardown).</summary>
    private static LayerOutcome TearDownDeviceMapper(CreatedLayer layer, DeviceMapperSession dm)
    {
        if (dm.Control is not DmControl control)
        {
            Log.Step($"{layer}: this host has no device-mapper, so it is gone");
            return new(layer, LayerFate.AlreadyGone, null);
        }
        DmRemoval removal = DmTeardown.RemoveRecorded(control, layer.Device, layer.Diskseq, out string? why);
        Log.Step($"{layer}: {removal}");
        return removal switch
        {
            DmRemoval.Removed => new(layer, LayerFate.Removed, null),
            DmRemoval.AlreadyGone => new(layer, LayerFate.AlreadyGone, null),
            _ => new(layer, LayerFate.Left, why),
        };
    }

    /// <summary>
    /// An add killed between creating a dm device and arming its deferred remove (or before its record)
    /// leaves a device named for this vbd: remove them (DmTeardown checks each uuid is ours). Only for
    /// disks that use device-mapper, judged by the record or, without one, by params: the names and uuids
    /// decide what is removed, params only whether to look.
    /// </summary>
    private static void SweepDeviceMapperLeftovers(Xenstore xs, BackendPath be, DeviceMapperSession dm, DiskseqRecord record)
    {
        bool usesDeviceMapper = record.Layers.Any(layer => layer.Kind == LayerKind.DeviceMapper)
            || (record.Layers.Count == 0 && xs.TryRead(be.Node(BackendNodes.Params)) is string parameters && DmDiskSpec.IsDmForm(parameters));
        if (usesDeviceMapper && dm.Control is DmControl control)
            _ = DmTeardown.RemoveLeftovers(control, be.FrontendId, be.DeviceId); // it logs each device it removes
    }
}

/// <summary>What remove did with one recorded layer.</summary>
internal enum LayerFate
{
    /// <summary>Torn down now (or armed to go at blkback's last close).</summary>
    Removed,
    /// <summary>Not there any more: nothing to do.</summary>
    AlreadyGone,
    /// <summary>The number now belongs to another device (freed and reused): left alone.</summary>
    Left,
    /// <summary>Still ours, and tearing it down failed: kept in the record for another remove.</summary>
    Failed,
}

/// <summary>One layer's fate and, for Left and Failed, why.</summary>
internal readonly record struct LayerOutcome(CreatedLayer Layer, LayerFate Fate, string? Why)
{
    /// <summary>
    /// remove's one-line summary: what was removed, what was already gone, and each layer left or not torn
    /// down with its reason, e.g. "removed loop 7:1 8e5; left loop 7:0 8e4: its diskseq is now 8e6 (reused)".
    /// </summary>
    internal static string Summarise(IReadOnlyList<LayerOutcome> outcomes)
    {
        var parts = new List<string>();
        AddGroup(parts, "removed", outcomes.Where(o => o.Fate == LayerFate.Removed));
        AddGroup(parts, "already gone:", outcomes.Where(o => o.Fate == LayerFate.AlreadyGone));
        foreach (LayerOutcome o in outcomes.Where(o => o.Fate == LayerFate.Left))
            parts.Add($"left {o.Layer}: {o.Why}");
        foreach (LayerOutcome o in outcomes.Where(o => o.Fate == LayerFate.Failed))
            parts.Add($"failed to remove {o.Layer}: {o.Why}");
        return parts.Count == 0 ? "removed nothing: add created no device (the block device was used as is)" : string.Join("; ", parts);
    }

    private static void AddGroup(List<string> parts, string verb, IEnumerable<LayerOutcome> group)
    {
        string[] layers = [.. group.Select(o => o.Why is null ? o.Layer.ToString() : $"{o.Layer} ({o.Why})")];
        if (layers.Length > 0)
            parts.Add($"{verb} {string.Join(", ", layers)}");
    }
}
