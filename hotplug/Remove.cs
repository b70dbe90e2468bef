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
            Log.Info("nothing to remove: block-diskseq created nothing for this backend");
            SweepDeviceMapperLeftovers(xs, be, dm, DiskseqRecord.Empty);
            return;
        }
        ExportNodes.Forget(xs, be);
        if (!DiskseqRecord.TryParse(text, out DiskseqRecord record))
            throw new HotplugFailure($"{recordNode} is malformed ('{Sanitise.Line(text)}'): not touching any device");
        var kept = new List<CreatedLayer>();
        for (int i = record.Layers.Count - 1; i >= 0; i--)
        {
            if (!TearDown(record.Layers[i], dm))
                kept.Insert(0, record.Layers[i]);
        }
        SweepDeviceMapperLeftovers(xs, be, dm, record);
        if (kept.Count > 0)
        {
            // Keep what is still ours, so a second remove (or a person) can finish the job.
            var left = new DiskseqRecord(kept);
            xs.Write(recordNode, left.ToString());
            throw new HotplugFailure($"could not tear down {left} (see the log); kept in {recordNode}");
        }
        xs.Delete(BackendNodes.Path(be.Path, BackendNodes.OwnDirectory));
        Log.Info($"removed {record}");
    }

    /// <summary>True when the layer is gone or no longer ours; false when it is ours and tearing it down failed.</summary>
    private static bool TearDown(CreatedLayer layer, DeviceMapperSession dm)
    {
        try
        {
            if (layer.Kind == LayerKind.DeviceMapper)
                TearDownDeviceMapper(layer, dm);
            else
                TearDownLoop(layer);
            return true;
        }
        catch (NativeException e) when (e.Errno == LibC.EBUSY)
        {
            // blkback drops its reference a moment after Closed (xen_blkif_free runs deferred, docs/protocol-facts.md §5);
            // the device is delete-on-close, so it goes when blkback lets go.
            Log.Warning($"{layer}: {e.Message}; it goes at its last close, ignoring");
            return true;
        }
        catch (NativeException e)
        {
            Log.Error($"{layer}: {e.Message}");
            return false;
        }
    }

    private static void TearDownLoop(CreatedLayer layer)
    {
        using LoopDevice? loop = LoopDevice.OpenExisting(layer.Device);
        if (loop is null || !loop.IsBound)
        {
            Log.Step($"{layer}: already detached");
            return;
        }
        if (loop.Diskseq != layer.Diskseq)
        {
            Log.Info($"{loop.Path} now has diskseq {DiskSequence.Format(loop.Diskseq)}, not {DiskSequence.Format(layer.Diskseq)}: "
                + "no longer the device we created, leaving it");
            return;
        }
        loop.Detach();
        Log.Step($"{layer}: detached {loop.Path}");
    }

    /// <summary>Deferred removal checked by number, diskseq, name and uuid (DmTeardown); every outcome means done.</summary>
    private static void TearDownDeviceMapper(CreatedLayer layer, DeviceMapperSession dm)
    {
        if (dm.Control is not DmControl control)
        {
            Log.Step($"{layer}: this host has no device-mapper, so it is gone");
            return;
        }
        DmRemoval removal = DmTeardown.RemoveRecorded(control, layer.Device, layer.Diskseq);
        Log.Step($"{layer}: {removal}");
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
