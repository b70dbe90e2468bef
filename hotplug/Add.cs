using System;
using BlockDiskseq.Backend;
using BlockDiskseq.Blkback;
using BlockDiskseq.Cli;
using BlockDiskseq.Devices;
using BlockDiskseq.Disk;
using BlockDiskseq.Reporting;
using BlockDiskseq.Sharing;
using XenstoreInterop;

namespace BlockDiskseq;

/// <summary>
/// add: open the target once, create a loop device for an image file, write diskseq and physical-device
/// in one transaction, and hold our fd until blkback holds the device (docs/design.md, "Add/remove flow").
/// Whatever fails, or kills us, nothing stays behind: the loop device is delete-on-close and our fd is
/// its only reference until blkback opens it.
/// </summary>
internal static class Add
{
    internal static void Run(Xenstore xs, Invocation invocation, Deadline deadline)
    {
        BackendPath be = invocation.Backend!;
        BackendListing listed = BackendListing.Read(xs, be);
        if (listed.Has(BackendNodes.PhysicalDevice) && AlreadyAdded(xs, be))
        {
            if (ExportedDeviceAlive(xs, be))
                return;
            // The add that wrote these nodes died and its device went (or was reused): what physical-device
            // names now is not this disk. Undo it as remove would, then export again (issue 21, item 4).
            Remove.Run(xs, invocation);
            listed = BackendListing.Read(xs, be);
        }
        try
        {
            AddNew(xs, invocation, be, listed, deadline);
        }
        catch (AddedMeanwhile e)
        {
            // What the transaction saw names the race; AlreadyAdded's own refusal would hide it.
            if (!AddedByUs(xs, be))
                throw new HotplugFailure(e.Message);
        }
    }

    private static void AddNew(Xenstore xs, Invocation invocation, BackendPath be, BackendListing listed, Deadline deadline)
    {
        AddRequest request = AddRequest.Read(xs, be, listed);
        using OpenedDisk disk = OpenedDisk.Open(request.Parameters, request.Mode);
        BlkbackWait? wait = invocation.NoWait ? null : BlkbackWait.For(be, request, invocation.Settings);
        var notes = new ExportNotes(wait?.Method ?? BlkbackWait.NoWaitMethod, invocation.Settings.DiskseqTestOffset);
        var claims = new BackendClaims(xs, be, invocation.Settings.SysfsRoot);
        using ExportedDevice export = Export(xs, be, request, disk, notes, claims, deadline);
        Log.Step($"wrote physical-device {export}");
        try
        {
            wait?.UntilHeld(xs, export.Device, deadline);
        }
        catch
        {
            ExportNodes.Undo(xs, be, export.LoopPath is not null);
            throw;
        }
        export.Relinquish();
        Log.Info(wait is null
            ? $"exported {export} without waiting for blkback (--no-wait)"
            : $"blkback holds {export}");
    }

    private static bool AddedByUs(Xenstore xs, BackendPath be)
    {
        try
        {
            // Another add committed while we worked: its device is alive (that add holds it until blkback does).
            if (!AlreadyAdded(xs, be))
                return false;
            Log.Info($"physical-device {xs.TryRead(be.Node(BackendNodes.PhysicalDevice))} was already written by block-diskseq: nothing to do");
            return true;
        }
        catch (HotplugFailure)
        {
            return false;
        }
    }

    /// <summary>
    /// Whether the device our nodes name is still the one that add exported: the recorded top device (or, for a
    /// block device used as is, physical-device) exists with the recorded diskseq, and a loop device is still
    /// bound. A killed add's loop device goes at its last close, and its number may be bound to another file since.
    /// </summary>
    private static bool ExportedDeviceAlive(Xenstore xs, BackendPath be)
    {
        _ = DiskseqRecord.TryParse(xs.TryRead(ExportNodes.RecordNode(be)), out DiskseqRecord record);
        string? physicalDevice = xs.TryRead(be.Node(BackendNodes.PhysicalDevice));
        CreatedLayer? top = record.Top;
        if (top is null
            && DeviceNumber.TryParse(physicalDevice, out DeviceNumber device)
            && DiskSequence.TryParse(xs.TryRead(be.Node(BackendNodes.Diskseq)), out ulong diskseq))
            top = new CreatedLayer(LayerKind.DeviceMapper, device, diskseq); // checked as a device that goes entirely
        string? why = top is CreatedLayer layer ? WhyGone(layer) : "the record names no device";
        if (why is null)
        {
            Log.Info($"physical-device {physicalDevice} was already written by block-diskseq: nothing to do");
            return true;
        }
        Log.Warning($"physical-device {physicalDevice} was written by block-diskseq, but {why}: undoing it and adding again");
        return false;
    }

    /// <summary>Why the layer is no longer the device we made; null while it is.</summary>
    private static string? WhyGone(CreatedLayer layer)
    {
        if (DiskSequence.Current(layer.Device) is not ulong current)
            return $"{layer.Device} is gone";
        if (current != layer.Diskseq)
            return $"{layer.Device} now has diskseq {DiskSequence.Format(current)}, not {DiskSequence.Format(layer.Diskseq)} (freed and reused)";
        if (layer.Kind == LayerKind.Loop && !System.IO.Directory.Exists($"{Sysfs.DevBlock(layer.Device)}/loop"))
            return $"loop device {layer.Device} is no longer bound to a file";
        return null;
    }

    private static bool AlreadyAdded(Xenstore xs, BackendPath be)
    {
        if (xs.TryRead(be.Node(BackendNodes.PhysicalDevice)) is not string physicalDevice)
            return false;
        if (!ExportNodes.IsOurs(physicalDevice, xs.TryRead(ExportNodes.RecordNode(be))))
            throw new HotplugFailure($"physical-device is already {Printable.Quote(physicalDevice)}, "
                + "and not written by block-diskseq: another script serves this disk");
        return true;
    }

    /// <summary>
    /// Under the locks of the backing objects: the sharing checks, the devices and the transaction, so a
    /// parallel add of the same image sees either nothing of ours or our committed physical-device.
    /// </summary>
    private static ExportedDevice Export(Xenstore xs, BackendPath be, AddRequest request, OpenedDisk disk, ExportNotes notes,
                                         BackendClaims claims, Deadline deadline)
    {
        AccessMode mode = request.Mode;
        using BackingLocks locks = BackingLocks.Acquire(disk, deadline);
        Log.Step("locked the backing objects");
        var loops = new Lazy<LoopBackings>(LoopBackings.Scan); // a snapshot's two uses share one scan
        foreach (OpenedUse use in disk.Uses)
            SharingRules.Check(xs, be, mode == AccessMode.WriteUnchecked ? mode : use.Mode, use.Target, claims, loops); // w! skips all, as Xen's "!"
        Log.Step("sharing checks passed");
        ExportedDevice export = ExportedDevice.Create(disk, mode, be);
        Log.Step($"created {export.Record}");
        try
        {
            ExportNodes.Write(xs, be, export, notes, request.Listed.Has(BackendNodes.HotplugError));
            return export;
        }
        catch (XenstoreException)
        {
            // Not a refusal: the connection failed, perhaps after xenstored applied the commit.
            ExportNodes.UndoIfCommitted(xs, be, export);
            export.Dispose();
            throw;
        }
        catch
        {
            export.Dispose();
            throw;
        }
    }
}
