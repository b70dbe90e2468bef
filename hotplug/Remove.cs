using System.Collections.Generic;
using BlockDiskseq.Devices;
using BlockDiskseq.Flow;
using BlockDiskseq.Native;
using XenstoreInterop;

namespace BlockDiskseq;

/// <summary>
/// remove: runs after blkback reached Closed (libxl, protocol.md 1.6), also after a failed add. Works from
/// our record alone, never from params (the image may be gone or replaced): forgets the exported nodes,
/// then detaches each device we created, newest first, only if it still carries the recorded diskseq,
/// so a device that was freed and reused by someone else is never touched.
/// </summary>
internal static class Remove
{
    internal static void Run(Xenstore xs, Invocation invocation)
    {
        BackendPath be = invocation.Backend!;
        string recordNode = ExportNodes.RecordNode(be);
        string? text = xs.TryRead(recordNode);
        if (text is null)
        {
            Log.Info("nothing to remove: block-diskseq created nothing for this backend");
            return;
        }
        ExportNodes.Forget(xs, be);
        if (!DiskseqRecord.TryParse(text, out DiskseqRecord record))
            throw new HotplugFailure($"{recordNode} is malformed ('{Sanitise.Line(text)}'): not touching any device");
        var kept = new List<CreatedLayer>();
        for (int i = record.Layers.Count - 1; i >= 0; i--)
        {
            if (!TearDown(record.Layers[i]))
                kept.Insert(0, record.Layers[i]);
        }
        if (kept.Count > 0)
        {
            // Keep what is still ours, so a second remove (or a person) can finish the job.
            var left = new DiskseqRecord(kept);
            xs.Write(recordNode, left.ToString());
            throw new HotplugFailure($"could not tear down {left} (see the log); kept in {recordNode}");
        }
        _ = xs.Remove(BackendNodes.Path(be.Path, BackendNodes.OwnDirectory));
        Log.Info($"removed {record}");
    }

    /// <summary>True when the layer is gone or no longer ours; false when it is ours and detaching failed.</summary>
    private static bool TearDown(CreatedLayer layer)
    {
        try
        {
            using LoopDevice? loop = LoopDevice.OpenExisting(layer.Device);
            if (loop is null)
            {
                Log.Step($"{layer}: already gone");
                return true;
            }
            if (loop.Diskseq != layer.Diskseq)
            {
                Log.Info($"{loop.Path} now has diskseq {Diskseq.Format(loop.Diskseq)}, not {Diskseq.Format(layer.Diskseq)}: "
                    + "no longer the device we created, leaving it");
                return true;
            }
            loop.Detach();
            Log.Step($"{layer}: detached {loop.Path}");
            return true;
        }
        catch (NativeException e) when (e.Errno == LibC.EBUSY)
        {
            // blkback drops its reference a moment after Closed (xen_blkif_free runs deferred, protocol.md 5.6);
            // the device is delete-on-close, so it goes when blkback lets go.
            Log.Warning($"{layer}: {e.Message}; autoclear detaches it on last close, ignoring");
            return true;
        }
        catch (NativeException e)
        {
            Log.Error($"{layer}: {e.Message}");
            return false;
        }
    }
}
