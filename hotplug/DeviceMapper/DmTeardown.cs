using BlockDiskseq.Devices;
using BlockDiskseq.Reporting;

namespace BlockDiskseq.DeviceMapper;

/// <summary>What RemoveRecorded found.</summary>
internal enum DmRemoval
{
    /// <summary>Ours and armed: removed now, or at blkback's last close.</summary>
    Removed,
    /// <summary>No device with that number any more (blkback's close already removed it, as intended).</summary>
    AlreadyGone,
    /// <summary>The number now belongs to another device (other diskseq, name or uuid): left alone.</summary>
    NotOurs,
}

/// <summary>Removing dm devices found again by the remove verb, without touching anyone else's.</summary>
internal static class DmTeardown
{
    /// <summary>
    /// The layer add recorded (device number and diskseq). Strict ABI: the kernel checks the diskseq in
    /// the lookup and again in the remove. Legacy ABI: we open the node and compare BLKGETDISKSEQ, then
    /// remove by uuid while our fd pins the device, so the check and the removal concern the same device.
    /// Deferred either way: blkback may hold the device a moment after Closed (docs/protocol-facts.md §3).
    /// </summary>
    internal static DmRemoval RemoveRecorded(DmControl dm, DeviceNumber device, ulong diskseq, DmNodeOpener? openNode = null)
    {
        DmDeviceStatus? status = dm.Status(DmLookup.ByDevice(device), diskseq);
        if (status is not { } found)
            return dm.Abi == DmAbi.Strict && dm.Status(DmLookup.ByDevice(device), 0) is { } other
                ? NotOurs(device, $"it has diskseq {DiskSequence.Format(other.Diskseq)}, not {DiskSequence.Format(diskseq)}")
                : DmRemoval.AlreadyGone;
        if (!DmName.TryParse(found.Name, out DmName name) || !name.OwnsUuid(found.Uuid))
            return NotOurs(device, $"it is {Printable.Quote(found.Name)} ({Printable.Quote(found.Uuid)}), not one of ours");
        if (dm.Abi == DmAbi.Strict)
            return dm.Remove(DmLookup.ByUuid(found.Uuid), deferred: true, diskseq) ? DmRemoval.Removed : DmRemoval.AlreadyGone;
        using DmNode? node = (openNode ?? DmNode.TryOpen)(device);
        if (node is null)
            return DmRemoval.AlreadyGone;
        if (node.Uuid != found.Uuid)
            return NotOurs(device, $"it became {Printable.Quote(node.Uuid)} while we looked");
        if (node.Diskseq != diskseq)
            return NotOurs(device, $"it has diskseq {DiskSequence.Format(node.Diskseq)}, not {DiskSequence.Format(diskseq)}");
        return dm.Remove(DmLookup.ByUuid(found.Uuid), deferred: true, 0) ? DmRemoval.Removed : DmRemoval.AlreadyGone;
    }

    /// <summary>
    /// Every device named for this vbd (block-diskseq-DOMID-DEVID-*) with one of our uuids: what an add
    /// killed before it armed the deferred remove (or before it wrote its record) left behind. Called by
    /// remove, which libxl runs after a failed add too. Returns how many were armed for removal.
    /// </summary>
    internal static int RemoveLeftovers(DmControl dm, uint domainId, uint deviceId)
    {
        int removed = 0;
        foreach (DmListedDevice listed in dm.ListDevices())
        {
            if (!DmName.TryParse(listed.Name, out DmName name) || name.DomainId != domainId || name.DeviceId != deviceId)
                continue;
            if (dm.Status(DmLookup.ByName(listed.Name), 0) is not { } status || !name.OwnsUuid(status.Uuid))
                continue;
            if (dm.Remove(DmLookup.ByUuid(status.Uuid), deferred: true, status.Diskseq))
            {
                Log.Info($"removed leftover dm device {name} ({status.Device}, open {status.OpenCount} times)");
                removed++;
            }
        }
        return removed;
    }

    private static DmRemoval NotOurs(DeviceNumber device, string why)
    {
        Log.Info($"dm device {device} is no longer the one we created ({why}): leaving it");
        return DmRemoval.NotOurs;
    }
}
