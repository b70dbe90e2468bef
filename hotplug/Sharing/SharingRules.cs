using System.Collections.Generic;
using System.Linq;
using BlockDiskseq.Backend;
using BlockDiskseq.Devices;
using BlockDiskseq.Reporting;
using XenstoreInterop;

namespace BlockDiskseq.Sharing;

/// <summary>
/// Xen's check_sharing (tools/hotplug/Linux/block, docs/protocol-facts.md §4) without its global lock: the caller
/// holds the BackingLock of this backing object, so only adds of the same image or device wait for each
/// other. To use a device read-write, nobody else may use it: not a mount in this domain, not another
/// guest. To use it read-only, nobody may use it read-write. Users in the same VM (a guest and its stub
/// domain, or two disks of one guest) do not count (Xen's same_vm). Beyond Xen: a device stacked on it in
/// this domain (a dm snapshot or slice, LVM) counts as a local user (StackedUse). w! skips all of it, as
/// "!" does there.
/// </summary>
internal static class SharingRules
{
    internal static void Check(Xenstore xs, BackendPath be, AccessMode mode, OpenedTarget target)
    {
        if (mode == AccessMode.WriteUnchecked)
            return;
        // A file is in use through the loop devices already backed by it (Xen: losetup -a by st_dev:st_ino).
        IReadOnlyList<DeviceNumber> devices = target.Kind == TargetKind.File
            ? LocalUsage.LoopsBackedBy(target.StDev, target.StIno)
            : [target.Device];
        if (devices.Count == 0)
            return;
        foreach (DeviceNumber device in devices)
        {
            if (LocalUsage.MountPointOf(device, writableOnly: mode == AccessMode.Read) is string mountPoint)
                throw Busy(target, device, mode, $"the privileged domain (on {Sanitise.Line(mountPoint)})", "by a guest");
            if (StackedUse.ConflictingHolder(Sysfs.DevBlock(device), mode) is string holder)
                throw Busy(target, device, mode, $"the privileged domain (held by {holder})", "by a guest");
        }
        var vms = new SameVm(xs, be.FrontendId);
        foreach ((BackendPath other, DeviceNumber device, AccessMode otherMode) in OtherUsers(xs, be, devices))
        {
            bool conflict = mode == AccessMode.Write || otherMode == AccessMode.Write;
            if (conflict && !vms.Includes(other.FrontendId))
                throw Busy(target, device, mode, $"a guest domain (domain {other.FrontendId}, {other.Path})", "now");
        }
    }

    /// <summary>Every other backend of this domain whose physical-device is one of <paramref name="devices"/>.</summary>
    private static IEnumerable<(BackendPath Backend, DeviceNumber Device, AccessMode Mode)> OtherUsers(
        Xenstore xs, BackendPath be, IReadOnlyList<DeviceNumber> devices)
    {
        foreach (string domain in xs.TryList(be.VbdDirectory) ?? [])
        {
            if (!BackendPath.TryParseDomainId(domain, out uint frontendId))
                continue;
            foreach (string deviceId in xs.TryList(BackendNodes.Path(be.VbdDirectory, domain)) ?? [])
            {
                if (!BackendPath.TryParseDecimal(deviceId, out uint id) || (frontendId == be.FrontendId && id == be.DeviceId))
                    continue;
                BackendPath other = be.Sibling(frontendId, id);
                if (DeviceNumber.TryParse(xs.TryRead(other.Node(BackendNodes.PhysicalDevice)), out DeviceNumber used)
                    && devices.Contains(used))
                    yield return (other, used, CanonicalMode(xs.TryRead(other.Node(BackendNodes.Mode))));
            }
        }
    }

    /// <summary>
    /// Xen's canonicalise_mode, tolerant as it is for other backends' values: contains 'w' -> w (or w! with
    /// '!'), else r. A missing mode is taken as w: an unknown user is assumed to write.
    /// </summary>
    internal static AccessMode CanonicalMode(string? mode) => mode switch
    {
        null => AccessMode.Write,
        _ when !mode.Contains('w') => AccessMode.Read,
        _ when mode.Contains('!') => AccessMode.WriteUnchecked,
        _ => AccessMode.Write,
    };

    /// <summary>One line in the words of Xen's do_ebusy, with the device and the user named.</summary>
    private static HotplugFailure Busy(OpenedTarget target, DeviceNumber device, AccessMode mode, string where, string when)
    {
        string subject = target.Kind == TargetKind.File
            ? $"File {target.Path} is loopback-mounted through {device}, which is mounted"
            : $"Device {target.Path} ({device}) is mounted";
        (string used, string wanted) = mode == AccessMode.Write ? ("", "") : ("read-write ", "read-only ");
        return new HotplugFailure($"{subject} {used}in {where}, and so cannot be mounted {wanted}{when}.", HotplugFailure.StatusBusy);
    }
}
