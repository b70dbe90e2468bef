using System;
using BlockDiskseq.Devices;
using BlockDiskseq.Native;
using BlockDiskseq.Reporting;

namespace BlockDiskseq.DeviceMapper;

/// <summary>
/// A device under a dm table: the opened block device itself, or a loop device attached here for a file.
/// LoopDevice holds its device O_EXCL, an exclusive claim that would make dm's own claim fail with EBUSY
/// at TABLE_LOAD (bd_may_claim: another holder), so the loop device is reopened without O_EXCL through
/// /proc/self/fd and its exclusive fd relinquished; the shared fd keeps it attached (autoclear fires at the
/// last close) until the dm table holds it. Dispose closes that fd: a loop device nobody else holds goes.
/// </summary>
internal sealed class DmBacking : IDisposable
{
    private SafeFd? shared;

    public DeviceNumber Device { get; }
    /// <summary>Size in 512-byte sectors (sysfs size: always 512-byte units, whatever the block size).</summary>
    public ulong Sectors { get; }
    /// <summary>The loop device created for a file target (a layer to record), null for a block device.</summary>
    public LoopDevice? Loop { get; }

    private DmBacking(DeviceNumber device, LoopDevice? loop, SafeFd? shared)
    {
        Device = device;
        Loop = loop;
        this.shared = shared;
        Sectors = ReadSectors(device);
    }

    internal static DmBacking Open(OpenedTarget target, bool readOnly)
    {
        if (target.Kind == TargetKind.BlockDevice)
            return new DmBacking(target.Device, null, null);
        LoopDevice loop = LoopDevice.Attach(target, readOnly);
        SafeFd? shared = null;
        try
        {
            shared = ReopenShared(loop);
            var backing = new DmBacking(loop.Device, loop, shared);
            loop.Relinquish();
            return backing;
        }
        catch
        {
            shared?.Dispose();
            loop.Dispose();
            throw;
        }
    }

    private static SafeFd ReopenShared(LoopDevice loop)
    {
        string path = $"/proc/self/fd/{loop.Fd.Fd}";
        SafeFd fd = NativeException.Check(LibC.open(path, LibC.O_RDONLY | LibC.O_CLOEXEC | LibC.O_NOCTTY, 0), "open", $"{path} ({loop.Path})");
        FileStatus status = FileStatus.Of(fd, loop.Path);
        if (status.Type == LibC.S_IFBLK && status.RDev == loop.Device)
            return fd;
        fd.Dispose();
        throw new HotplugFailure($"reopening {loop.Path} through {path} gave {status.TypeName} {status.RDev}");
    }

    private static ulong ReadSectors(DeviceNumber device)
    {
        string path = $"{Sysfs.DevBlock(device)}/size";
        string? text = KernelFile.TryReadText(path);
        return text is not null && text.EndsWith('\n') && ulong.TryParse(text.AsSpan(0, text.Length - 1), out ulong sectors) && sectors > 0
            ? sectors
            : throw new HotplugFailure($"{path}: expected the device's size in sectors, read {Printable.Quote(text ?? "nothing")}");
    }

    public void Dispose()
    {
        shared?.Dispose();
        shared = null;
    }

    /// <summary>Failure path, once nothing holds it: deletes the loop device we made for a file (LoopPool).</summary>
    public void DeleteLoop()
    {
        if (Loop is not null)
            LoopPool.Release(Loop.Number);
    }

    public override string ToString() => Loop is { } loop ? $"{loop.Path} ({Device})" : Device.ToString();
}
