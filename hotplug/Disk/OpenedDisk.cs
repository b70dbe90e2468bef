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
                if (uses.Count > 1 && uses[0].Target.StDev == opened.StDev && uses[0].Target.StIno == opened.StIno)
                    throw new HotplugFailure($"{uses[0].Target.Path} and {opened.Path} are the same file: a snapshot needs its own COW");
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

    public void Dispose()
    {
        foreach (OpenedUse use in uses)
            use.Target.Dispose();
    }
}
