using BlockDiskseq.Devices;
using BlockDiskseq.Reporting;

namespace BlockDiskseq.DeviceMapper;

/// <summary>
/// The one-line tables of the dm disk kinds. Devices are the loop or block devices add opened for each
/// PATH, written as decimal MAJOR:MINOR (dm_get_device's "%u:%u"), so the kernel opens exactly those.
/// Sizes are in 512-byte sectors, of the device as opened (BLKGETSIZE64 / 512).
///
/// No snapshot-origin target: it exists so that writes to the origin first copy the old chunks out to
/// every snapshot's COW. Our origin is never written (its loop device is read-only and a block device
/// origin is opened read-only by dm-snapshot itself, which holds the origin with FMODE_READ), so the
/// snapshot target over the plain origin device is the whole stack, and any number of snapshots, one per
/// guest, can share one origin.
/// </summary>
internal static class DmTables
{
    /// <summary>"0 ORIGIN_SECTORS snapshot ORIGIN COW P|N CHUNK": P keeps the exception table in the COW
    /// (it survives reboots), N keeps it in memory (nothing to keep for a throwaway COW, and no metadata I/O).</summary>
    internal static DmTarget Snapshot(ulong originSectors, DeviceNumber origin, DeviceNumber cow, bool persistent, uint chunkSectors)
        => new(0, originSectors, "snapshot", $"{Decimal(origin)} {Decimal(cow)} {(persistent ? 'P' : 'N')} {chunkSectors}");

    /// <summary>"0 SECTORS linear DEVICE OFFSET", after checking the window lies inside the device.</summary>
    internal static DmTarget Slice(SliceSpec spec, DeviceNumber device, ulong deviceSectors)
    {
        if (spec.OffsetSectors >= deviceSectors || spec.Sectors > deviceSectors - spec.OffsetSectors)
            throw new HotplugFailure($"slice offset={spec.OffsetSectors},sectors={spec.Sectors} does not fit "
                + $"{spec.Path.Path}, which has {deviceSectors} sectors");
        return new DmTarget(0, spec.Sectors, "linear", $"{Decimal(device)} {spec.OffsetSectors}");
    }

    /// <summary>
    /// Size of a throwaway COW file: as asked, else the origin's size rounded up to whole chunks, which a
    /// transient (N) store can never outgrow (it allocates one COW chunk per origin chunk written). The
    /// file is sparse, so only written chunks take space.
    /// </summary>
    internal static ulong ThrowawayCowBytes(ThrowawaySnapshotSpec spec, ulong originSectors)
    {
        const ulong chunk = SnapshotSpec.DefaultChunkSectors;
        return spec.CowSizeBytes ?? (originSectors + chunk - 1) / chunk * chunk * 512;
    }

    internal static string Decimal(DeviceNumber device) => $"{device.Major}:{device.Minor}";
}
