using System;
using BlockDiskseq.Devices;

namespace BlockDiskseq.Flow;

/// <summary>
/// The device add hands to blkback: a loop device it created for an image file, or the opened block
/// device itself. Owns the created devices until Relinquish (blkback holds them) or Dispose (failure:
/// a loop device is delete-on-close, so closing our fd tears it down).
/// </summary>
internal sealed class ExportedDevice : IDisposable
{
    private readonly LoopDevice? loop;

    private ExportedDevice(LoopDevice? loop, DeviceNumber device, ulong diskseq, string path, DiskseqRecord record)
    {
        this.loop = loop;
        Device = device;
        Diskseq = diskseq;
        Path = path;
        Record = record;
    }

    /// <summary>physical-device.</summary>
    public DeviceNumber Device { get; }
    /// <summary>The diskseq read on the fd we hold, so it belongs to the device we opened or created.</summary>
    public ulong Diskseq { get; }
    /// <summary>physical-device-path: a path dom0 processes can open (libxl's local attach reads it).</summary>
    public string Path { get; }
    /// <summary>/dev/loopN when we created a loop device (the "node" Xen's block remove reads).</summary>
    public string? LoopPath => loop?.Path;
    public DiskseqRecord Record { get; }

    internal static ExportedDevice Create(OpenedTarget target, AccessMode mode)
    {
        if (target.Kind == TargetKind.BlockDevice)
        {
            ulong diskseq = Devices.Diskseq.Read(target.Fd, target.Path);
            return new ExportedDevice(null, target.Device, diskseq, target.Path, DiskseqRecord.Empty);
        }
        LoopDevice loop = LoopDevice.Attach(target, readOnly: mode == AccessMode.Read);
        var layer = new CreatedLayer(LayerKind.Loop, loop.Device, loop.Diskseq);
        return new ExportedDevice(loop, loop.Device, loop.Diskseq, loop.Path, new DiskseqRecord([layer]));
    }

    /// <summary>blkback holds the device: hand teardown to autoclear (it runs when blkback lets go).</summary>
    public void Relinquish() => loop?.Relinquish();

    public void Dispose() => loop?.Dispose();

    public override string ToString()
        => $"{Device} diskseq {Devices.Diskseq.Format(Diskseq)} ({Path})";
}
