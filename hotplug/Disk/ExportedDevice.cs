using System;
using System.Linq;
using BlockDiskseq.Backend;
using BlockDiskseq.DeviceMapper;
using BlockDiskseq.Devices;

namespace BlockDiskseq.Disk;

/// <summary>
/// The device add hands to blkback: a loop device it created for an image file, a device-mapper stack it
/// built, or the opened block device itself. Owns what it created until Relinquish (blkback holds it) or
/// Dispose (failure: every created device is delete-on-close, so closing our fds tears it down).
/// </summary>
internal sealed class ExportedDevice : IDisposable
{
    private readonly LoopDevice? loop;
    private readonly DmControl? dm;
    private readonly DmDisk? stack;

    private ExportedDevice(DeviceNumber device, ulong diskseq, string path, DiskseqRecord record,
                           LoopDevice? loop = null, DmControl? dm = null, DmDisk? stack = null)
    {
        Device = device;
        Diskseq = diskseq;
        Path = path;
        Record = record;
        this.loop = loop;
        this.dm = dm;
        this.stack = stack;
    }

    /// <summary>physical-device.</summary>
    public DeviceNumber Device { get; }
    /// <summary>The diskseq read on the fd we hold, so it belongs to the device we opened or created.</summary>
    public ulong Diskseq { get; }
    /// <summary>physical-device-path: a path dom0 processes can open (libxl's local attach reads it).</summary>
    public string Path { get; }
    /// <summary>/dev/loopN when the exported device is a loop device we created (the "node" Xen's block remove reads).</summary>
    public string? LoopPath => loop?.Path;
    public DiskseqRecord Record { get; }
    /// <summary>"strict" or "legacy" for a device-mapper disk (the ABI DmControl probed), else null.</summary>
    public string? DmAbi => dm is null ? null : dm.Abi == DeviceMapper.DmAbi.Strict ? "strict" : "legacy";

    internal static ExportedDevice Create(OpenedDisk disk, AccessMode mode, BackendPath be)
    {
        if (disk.DeviceMapper is DmDiskSpec spec)
            return CreateDeviceMapper(disk, spec, mode, be);
        OpenedTarget target = disk.Uses[0].Target;
        if (target.Kind == TargetKind.BlockDevice)
        {
            ulong diskseq = DiskSequence.Read(target.Fd, target.Path);
            return new ExportedDevice(target.Device, diskseq, target.Path, DiskseqRecord.Empty);
        }
        LoopDevice created = LoopDevice.Attach(target, readOnly: mode == AccessMode.Read);
        var layer = new CreatedLayer(LayerKind.Loop, created.Device, created.Diskseq);
        return new ExportedDevice(created.Device, created.Diskseq, created.Path, new DiskseqRecord([layer]), loop: created);
    }

    /// <summary>The stack of a device-mapper form; its record lists the loop devices under it, then the dm device.</summary>
    private static ExportedDevice CreateDeviceMapper(OpenedDisk disk, DmDiskSpec spec, AccessMode mode, BackendPath be)
    {
        DmControl dm = DmControl.Open();
        try
        {
            DmName name = DmName.Create(be.FrontendId, be.DeviceId, spec.Layer);
            bool readOnly = mode == AccessMode.Read;
            DmDisk stack = spec switch
            {
                SnapshotSpec snapshot => DmDisk.Snapshot(dm, name, disk.Uses[0].Target, disk.Uses[1].Target, snapshot.ChunkSectors, readOnly),
                ThrowawaySnapshotSpec throwaway => DmDisk.Throwaway(dm, name, disk.Uses[0].Target, throwaway, readOnly, ThrowawayCow.Directory),
                SliceSpec slice => DmDisk.Slice(dm, name, disk.Uses[0].Target, slice, readOnly),
                _ => throw new ArgumentOutOfRangeException(nameof(spec), "unknown device-mapper form"),
            };
            CreatedLayer[] layers = [.. stack.Loops.Select(l => new CreatedLayer(LayerKind.Loop, l.Device, l.Diskseq)),
                                     new CreatedLayer(LayerKind.DeviceMapper, stack.Top.Device, stack.Top.Diskseq)];
            return new ExportedDevice(stack.Top.Device, stack.Top.Diskseq, stack.Top.Path, new DiskseqRecord(layers), dm: dm, stack: stack);
        }
        catch
        {
            dm.Dispose();
            throw;
        }
    }

    /// <summary>blkback holds the device: hand teardown to autoclear and dm's deferred remove (they run when blkback lets go).</summary>
    public void Relinquish()
    {
        loop?.Relinquish();
        stack?.Relinquish();
        dm?.Dispose();
    }

    /// <summary>Failure: the created devices first (the stack from its top), then the control fd they needed.</summary>
    public void Dispose()
    {
        loop?.Dispose();
        stack?.Dispose();
        dm?.Dispose();
    }

    public override string ToString()
        => $"{Device} diskseq {DiskSequence.Format(Diskseq)} ({Path})";
}
