using System;
using System.Collections.Generic;
using BlockDiskseq.DeviceMapper;
using BlockDiskseq.Devices;
using BlockDiskseq.Reporting;

namespace BlockDiskseq.Disk;

/// <summary>One target of a disk, opened once, with the access it is opened (and checked) for.</summary>
internal readonly record struct OpenedUse(OpenedTarget Target, AccessMode Mode);

/// <summary>
/// What params names, opened: one target for a plain disk (a file or block device), or the targets of a
/// device-mapper form (docs/design.md, "Device-mapper"): a snapshot's origin, only ever read, and its COW;
/// a slice's file or device. Each is opened exactly once and every later check is made on these fds.
/// </summary>
internal sealed class OpenedDisk : IDisposable
{
    private readonly List<OpenedUse> uses;

    private OpenedDisk(DmDiskSpec? deviceMapper, List<OpenedUse> uses)
    {
        DeviceMapper = deviceMapper;
        this.uses = uses;
    }

    /// <summary>The device-mapper form, or null for a plain disk.</summary>
    public DmDiskSpec? DeviceMapper { get; }

    /// <summary>In the order the form names them (origin before COW).</summary>
    public IReadOnlyList<OpenedUse> Uses => uses;

    internal static OpenedDisk Open(string parameters, AccessMode mode)
    {
        if (!DmDiskSpec.IsDmForm(parameters))
            return Open(null, [(DiskTarget.Parse(parameters), mode)]);
        DmDiskSpec spec = DmDiskSpec.Parse(parameters);
        return Open(spec, spec switch
        {
            // The origin is read even when the guest writes: its writes go to the COW (dm-snapshot).
            SnapshotSpec snapshot => [(snapshot.Origin, AccessMode.Read), (snapshot.Cow, mode)],
            ThrowawaySnapshotSpec throwaway => [(throwaway.Origin, AccessMode.Read)],
            SliceSpec slice => [(slice.Path, mode)],
            _ => throw new ArgumentOutOfRangeException(nameof(parameters), "unknown device-mapper form"),
        });
    }

    private static OpenedDisk Open(DmDiskSpec? spec, (DiskTarget Target, AccessMode Mode)[] wanted)
    {
        var uses = new List<OpenedUse>();
        try
        {
            foreach ((DiskTarget target, AccessMode mode) in wanted)
            {
                OpenedTarget opened = OpenedTarget.Open(target, mode);
                uses.Add(new OpenedUse(opened, mode));
                Log.Step($"opened {opened.Path} ({opened.Kind}, {mode})");
                if (uses.Count > 1)
                    CheckApart(uses[0].Target, opened);
            }
            return new OpenedDisk(spec, uses);
        }
        catch
        {
            foreach (OpenedUse use in uses)
                use.Target.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A snapshot's COW must share nothing with its origin: not the same file, not the same block device
    /// (compared by st_rdev, so two nodes of one device are one device), not a disk and one of its
    /// partitions, not a device a dm or md stack on the other is built on. Checked before anything is
    /// created, so the user reads which two overlap instead of DM_TABLE_LOAD's EBUSY or EINVAL.
    /// </summary>
    private static void CheckApart(OpenedTarget origin, OpenedTarget cow)
    {
        const string Why = "a snapshot needs a COW apart from its origin";
        if (origin.StDev == cow.StDev && origin.StIno == cow.StIno)
            throw new HotplugFailure($"{origin.Path} and {cow.Path} are the same file: {Why}");
        if (origin.Kind != TargetKind.BlockDevice || cow.Kind != TargetKind.BlockDevice)
            return;
        if (origin.Device == cow.Device)
            throw new HotplugFailure($"{origin.Path} and {cow.Path} are the same block device ({origin.Device}): {Why}");
        if ((SharedSectors(origin.Device, cow.Device) ?? SharedSectors(cow.Device, origin.Device)) is string how)
            throw new HotplugFailure($"{origin.Path} ({origin.Device}) and {cow.Path} ({cow.Device}) overlap: {how}; {Why}");
    }

    /// <summary>How <paramref name="b"/> shares sectors with <paramref name="a"/> or a device under it; null if it does not.</summary>
    private static string? SharedSectors(DeviceNumber a, DeviceNumber b)
    {
        foreach (DiskLayout.Extent member in DiskLayout.Overlapping(a))
        {
            if (member.Device == b)
                return $"{member.Name} shares sectors with {DiskLayout.Overlapping(a)[0].Name}";
        }
        foreach (DeviceNumber lower in DiskLayout.Below(a))
        {
            foreach (DiskLayout.Extent member in DiskLayout.Overlapping(lower))
            {
                if (member.Device == b)
                    return $"{DiskLayout.Overlapping(a)[0].Name} is built on {DiskLayout.Overlapping(lower)[0].Name}, which {member.Name} overlaps";
            }
        }
        return null;
    }

    public void Dispose()
    {
        foreach (OpenedUse use in uses)
            use.Target.Dispose();
    }
}
