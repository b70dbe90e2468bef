using System;
using System.Collections.Generic;
using BlockDiskseq.Devices;
using BlockDiskseq.Native;
using BlockDiskseq.Reporting;

namespace BlockDiskseq.DeviceMapper;

/// <summary>Opens a dm device's node by number (DmNode.TryOpen; tests substitute a model).</summary>
internal delegate DmNode? DmNodeOpener(DeviceNumber device);

/// <summary>
/// A dm device this program created, in the spirit of systemd's LoopDevice: Create makes it delete-on-close
/// as soon as it is usable (a deferred remove armed while our fd holds it: dm removes the device at its
/// last close), so once blkback holds it, Relinquish just closes our fd, and if we are killed the kernel
/// closes it for us. The only window without that guarantee is between DEV_CREATE and the arming, a few
/// ioctls long; the device's name then leads the next add or remove of the same vbd to it (RemoveLeftovers).
/// </summary>
internal sealed class DmDevice : IDisposable
{
    private readonly DmControl dm;
    private readonly DmNodeOpener openNode;
    private DmNode? node;
    private bool armed;

    public DmName Name { get; }
    /// <summary>This incarnation's uuid (random suffix): every lookup after the create goes by it.</summary>
    public string Uuid { get; }
    public DeviceNumber Device { get; }
    /// <summary>Read with BLKGETDISKSEQ on our fd (and, strict ABI, equal to what DEV_CREATE reported).</summary>
    public ulong Diskseq { get; private set; }
    /// <summary>/dev/dm-N: physical-device-path.</summary>
    public string Path => node?.Path ?? $"/dev/dm-{Device.Minor}";

    // No Created flag: every instance was created here. Devices found again (remove, leftovers) are
    // handled by DmTeardown without an instance.

    private DmDevice(DmControl dm, DmNodeOpener openNode, DmName name, string uuid, DmDeviceStatus status)
    {
        this.dm = dm;
        this.openNode = openNode;
        Name = name;
        Uuid = uuid;
        Device = status.Device;
        Diskseq = status.Diskseq;
    }

    /// <summary>
    /// DEV_CREATE, TABLE_LOAD (read-only if asked), resume, open the node and check it is this device,
    /// arm the deferred remove. A failure at any step removes the device again before the exception leaves.
    /// </summary>
    internal static DmDevice Create(DmControl dm, DmName name, IReadOnlyList<DmTarget> table, bool readOnly, DmNodeOpener? openNode = null)
    {
        string uuid = name.NewUuid();
        DmDeviceStatus created = CreateReplacingLeftover(dm, name, uuid);
        var device = new DmDevice(dm, openNode ?? DmNode.TryOpen, name, uuid, created);
        try
        {
            device.Activate(table, readOnly);
            return device;
        }
        catch
        {
            device.Dispose();
            throw;
        }
    }

    private void Activate(IReadOnlyList<DmTarget> table, bool readOnly)
    {
        var self = DmLookup.ByUuid(Uuid);
        // The first TABLE_LOAD adds the disk: its "add" uevent may be handled before dm/uuid exists, and the
        // strict ABI sends no later change (docs/protocol-facts.md §10). DEV_CREATE gave the diskseq that
        // uevent carries, so the rule can know the device by its marker. The legacy ABI tells it only after
        // the disk exists; there dm's change uevent from the resume carries dm/uuid to the rule.
        if (dm.Abi == DmAbi.Strict)
            UdevMarker.Mark($"dm-{Device.Minor}", Diskseq);
        dm.LoadTable(self, table, readOnly, Diskseq);
        dm.Resume(self, Diskseq);
        node = openNode(Device) ?? throw new HotplugFailure($"{Name} ({Device}) vanished right after it was created");
        if (node.Name != Name.ToString() || node.Uuid != Uuid)
            throw new HotplugFailure($"{node.Path} is {Printable.Quote(node.Name)} ({Printable.Quote(node.Uuid)}), not {Name} ({Uuid})");
        if (dm.Abi == DmAbi.Strict && node.Diskseq != Diskseq)
            throw new HotplugFailure($"{node.Path} has diskseq {DiskSequence.Format(node.Diskseq)}, "
                + $"but DEV_CREATE reported {DiskSequence.Format(Diskseq)}");
        Diskseq = node.Diskseq;
        armed = dm.Remove(self, deferred: true, Diskseq)
            ? true : throw new HotplugFailure($"{Name} ({Device}) vanished while we held it open");
        Log.Step($"{Name}: {Device} diskseq {DiskSequence.Format(Diskseq)}, removed at its last close");
    }

    /// <summary>
    /// How often to look whether our previous device of this name has gone: one armed for removal but still
    /// held, because blkback lets go of a device a moment after Closed (xen_blkif_free runs deferred,
    /// docs/protocol-facts.md §3), which a quick detach-then-attach of the same vbd meets. Retried: that device still
    /// existing. Worst-case wait: 100 polls 10 ms apart, 1 s (plus one DEV_STATUS each, microseconds).
    /// </summary>
    internal const int LeftoverPolls = 100;
    internal static readonly TimeSpan LeftoverPollInterval = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// A device of the same name exists. Ours and nobody has it open (an add died before arming): remove it.
    /// Ours and armed but still held: wait for it to go. Either way create once more. Anything else is
    /// not ours to take.
    /// </summary>
    private static DmDeviceStatus CreateReplacingLeftover(DmControl dm, DmName name, string uuid)
    {
        DmCreateResult result = dm.Create(name.ToString(), uuid);
        if (result.Created)
            return result.Status;
        DmDeviceStatus existing = result.Status;
        if (!name.OwnsUuid(existing.Uuid))
            throw new HotplugFailure($"dm device {name} already exists ({existing.Device}, uuid {Printable.Quote(existing.Uuid)}) "
                + "and was not made by block-diskseq", HotplugFailure.StatusBusy);
        var old = DmLookup.ByUuid(existing.Uuid);
        if (existing.OpenCount == 0)
        {
            Log.Warning($"dm device {name} ({existing.Device}) is a leftover of an interrupted add: removing it");
            _ = dm.Remove(old, deferred: true, existing.Diskseq);
        }
        else if (!existing.DeferredRemove || !WaitUntilGone(dm, old, existing.Diskseq))
            throw new HotplugFailure($"dm device {name} ({existing.Device}) of an earlier add of this disk is still open "
                + $"({existing.OpenCount} times{(existing.DeferredRemove ? $" after {LeftoverPolls} polls" : "")})", HotplugFailure.StatusBusy);
        result = dm.Create(name.ToString(), uuid);
        return result.Created ? result.Status
            : throw new HotplugFailure($"dm device {name} exists again right after its leftover went", HotplugFailure.StatusBusy);
    }

    private static bool WaitUntilGone(DmControl dm, DmLookup old, ulong diskseq)
    {
        for (int poll = 1; poll <= LeftoverPolls; poll++)
        {
            if (dm.Status(old, diskseq) is null)
                return true;
            Log.Step($"{old} is armed for removal but still open (poll {poll}/{LeftoverPolls}), waiting");
            System.Threading.Thread.Sleep(LeftoverPollInterval);
        }
        return false;
    }

    /// <summary>blkback holds the device: close our fd; dm removes the device when blkback closes it.</summary>
    public void Relinquish() => node?.Dispose();

    /// <summary>
    /// Order: close our fd first, so that an armed device with no other holder is removed right here by the
    /// kernel; a device that never got armed (a step of Create failed) is then removed explicitly, deferred
    /// in case something (udev's blkid, blkback) still has it open.
    /// </summary>
    public void Dispose()
    {
        node?.Dispose();
        if (armed)
            return;
        armed = true;   // once is enough
        try
        {
            _ = dm.Remove(DmLookup.ByUuid(Uuid), deferred: true, Diskseq);
        }
        catch (NativeException e)
        {
            Log.Warning($"{e.Message}; {Name} stays until the next add or remove of this disk, ignoring");
        }
    }

    public override string ToString()
        => $"{Name} {Device} diskseq {(Diskseq == 0 ? "unknown" : DiskSequence.Format(Diskseq))}";
}
