using System;
using System.Collections.Generic;
using System.Linq;
using BlockDiskseq.Devices;

namespace BlockDiskseq.DeviceMapper;

/// <summary>
/// A whole dm disk of one of the params forms, built over targets the add flow opened (and locked and
/// checked for sharing): loop devices for files, the dm device on top. Layers, lowest first, are what add
/// records: each created loop device, then the dm device. Every device is delete-on-close from the moment
/// it is usable (loops: autoclear; dm: armed deferred remove), so Relinquish only closes our last fd, and
/// Dispose (a failed add) closes everything in an order that tears the stack down from the top.
/// </summary>
internal sealed class DmDisk : IDisposable
{
    private readonly List<DmBacking> backings;
    private readonly OpenedTarget? throwawayCow;

    public DmDevice Top { get; }
    public IReadOnlyList<LoopDevice> Loops => backings.Select(b => b.Loop).OfType<LoopDevice>().ToList();

    private DmDisk(DmDevice top, List<DmBacking> backings, OpenedTarget? throwawayCow)
    {
        Top = top;
        this.backings = backings;
        this.throwawayCow = throwawayCow;
    }

    /// <summary>snapshot:origin=,cow=: "0 N snapshot ORIGIN COW P CHUNK". The origin is attached read-only always.</summary>
    internal static DmDisk Snapshot(DmControl dm, DmName name, OpenedTarget origin, OpenedTarget cow, uint chunkSectors, bool readOnly,
        DmNodeOpener? openNode = null)
        => Assemble(dm, name, readOnly, openNode, parts =>
        {
            DmBacking originDevice = parts.Lower(origin, readOnly: true);
            DmBacking cowDevice = parts.Lower(cow, readOnly);
            return DmTables.Snapshot(originDevice.Sectors, originDevice.Device, cowDevice.Device, persistent: true, chunkSectors);
        });

    /// <summary>
    /// snapshot:origin=[,cow-size=]: the same over an unnamed sparse COW file in cowDirectory (the flow passes
    /// ThrowawayCow.Directory), with a transient (N) exception store.
    /// </summary>
    internal static DmDisk Throwaway(DmControl dm, DmName name, OpenedTarget origin, ThrowawaySnapshotSpec spec, bool readOnly,
        string cowDirectory, DmNodeOpener? openNode = null)
        => Assemble(dm, name, readOnly, openNode, parts =>
        {
            DmBacking originDevice = parts.Lower(origin, readOnly: true);
            parts.ThrowawayCow = ThrowawayCow.Create(cowDirectory, DmTables.ThrowawayCowBytes(spec, originDevice.Sectors));
            DmBacking cowDevice = parts.Lower(parts.ThrowawayCow, readOnly);
            return DmTables.Snapshot(originDevice.Sectors, originDevice.Device, cowDevice.Device, persistent: false,
                SnapshotSpec.DefaultChunkSectors);
        });

    /// <summary>slice:path=,offset=,sectors=: "0 SECTORS linear DEVICE OFFSET".</summary>
    internal static DmDisk Slice(DmControl dm, DmName name, OpenedTarget target, SliceSpec spec, bool readOnly,
        DmNodeOpener? openNode = null)
        => Assemble(dm, name, readOnly, openNode, parts =>
        {
            DmBacking device = parts.Lower(target, readOnly);
            return DmTables.Slice(spec, device.Device, device.Sectors);
        });

    /// <summary>What a layout opened so far, so a failure half-way closes exactly that.</summary>
    private sealed class Parts
    {
        public List<DmBacking> Backings { get; } = new();
        public OpenedTarget? ThrowawayCow { get; set; }

        public DmBacking Lower(OpenedTarget target, bool readOnly)
        {
            DmBacking backing = DmBacking.Open(target, readOnly);
            Backings.Add(backing);
            return backing;
        }

        public void CloseBackings()
        {
            foreach (DmBacking backing in Backings)
                backing.Dispose();
        }

        public void DeleteLoops()
        {
            foreach (DmBacking backing in Backings)
                backing.DeleteLoop();
        }
    }

    private static DmDisk Assemble(DmControl dm, DmName name, bool readOnly, DmNodeOpener? openNode, Func<Parts, DmTarget> layout)
    {
        var parts = new Parts();
        try
        {
            DmDevice top = DmDevice.Create(dm, name, [layout(parts)], readOnly, openNode);
            // The table holds the lower devices now: our shared fds are no longer what keeps them.
            parts.CloseBackings();
            return new DmDisk(top, parts.Backings, parts.ThrowawayCow);
        }
        catch
        {
            parts.CloseBackings();
            parts.DeleteLoops();
            parts.ThrowawayCow?.Dispose();
            throw;
        }
    }

    /// <summary>blkback holds the top device: close our fd on it; the whole stack goes when blkback lets go.</summary>
    public void Relinquish()
    {
        Top.Relinquish();
        throwawayCow?.Dispose();
    }

    /// <summary>
    /// Failure path. Order: the dm device first (closing our fd removes it, and dm closes the loop devices
    /// under it, whose autoclear then detaches them), then our remaining fds, then the throwaway COW file,
    /// whose last reference is the loop device's, then the loop devices themselves (a dm device whose removal
    /// is still deferred holds them: LoopPool leaves those to a later remove).
    /// </summary>
    public void Dispose()
    {
        Top.Dispose();
        foreach (DmBacking backing in backings)
            backing.Dispose();
        throwawayCow?.Dispose();
        foreach (DmBacking backing in backings)
            backing.DeleteLoop();
    }
}
