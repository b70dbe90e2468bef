using System;
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
    /// <param name="claims">Who else uses or names each device (read once per add, shared with LoopUsers).</param>
    internal static void Check(Xenstore xs, BackendPath be, AccessMode mode, OpenedTarget target, BackendClaims claims)
    {
        if (mode == AccessMode.WriteUnchecked)
            return;
        // A file is in use through the loop devices already backed by it (Xen: losetup -a by st_dev:st_ino).
        IReadOnlyList<DeviceNumber> devices = target.Kind == TargetKind.File
            ? LocalUsage.LoopsBackedBy(target.StDev, target.StIno, LocalUsage.SuperblockOfMount(target.MountId))
            : [target.Device];
        if (devices.Count == 0)
            return;
        var related = new List<Related>();
        foreach (DeviceNumber device in devices)
        {
            foreach (DiskLayout.Extent member in DiskLayout.Overlapping(device))
                related.Add(CheckLocal(target, mode, new Related(device, member), holdersCount: true));
            // What it is built on (a dm or md device's lower devices) and what overlaps those: written
            // through another path, they change it. Their holders are not asked: that is this very stack,
            // or a sibling on other sectors (two logical volumes of one volume group).
            foreach (DeviceNumber lower in DiskLayout.Below(device))
            {
                foreach (DiskLayout.Extent member in DiskLayout.Overlapping(lower))
                    related.Add(CheckLocal(target, mode, new Related(device, member), holdersCount: false));
            }
        }
        var vms = new SameVm(xs, be.FrontendId);
        foreach ((BackendPath other, Related used, AccessMode otherMode) in OtherUsers(xs, claims, related))
        {
            bool conflict = mode == AccessMode.Write || otherMode == AccessMode.Write;
            if (conflict && !vms.Includes(other.FrontendId))
                throw Busy(target, used, mode, $"a guest domain (domain {other.FrontendId}, {other.Path})", "now");
        }
    }

    /// <summary>This domain's users of one related device: a mount, and (holdersCount) a device stacked on it.</summary>
    private static Related CheckLocal(OpenedTarget target, AccessMode mode, Related related, bool holdersCount)
    {
        DeviceNumber member = related.Member.Device;
        if (LocalUsage.MountPointOf(member, writableOnly: mode == AccessMode.Read) is string mountPoint)
            throw Busy(target, related, mode, $"the privileged domain (on {mountPoint})", "by a guest");
        if (holdersCount && StackedUse.ConflictingHolder(Sysfs.DevBlock(member), mode) is string holder)
            throw Busy(target, related, mode, $"the privileged domain (held by {holder})", "by a guest");
        return related;
    }

    /// <summary>A device that shares sectors with Device (the target or a loop device on it): itself, or Member.</summary>
    private readonly record struct Related(DeviceNumber Device, DiskLayout.Extent Member)
    {
        internal bool IsItself => Member.Device == Device;
    }

    /// <summary>Every other backend of this domain that uses or names one of the related devices.</summary>
    private static IEnumerable<(BackendPath Backend, Related Used, AccessMode Mode)> OtherUsers(
        Xenstore xs, BackendClaims claims, List<Related> related)
    {
        foreach (Related used in related)
        {
            foreach (BackendClaims.Claim claim in claims.Of(used.Member.Device))
                yield return (claim.Backend, used, CanonicalMode(xs.TryRead(claim.Backend.Node(BackendNodes.Mode))));
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

    /// <summary>
    /// One line in the words of Xen's do_ebusy, with the device and the user named; when the user has an
    /// overlapping device rather than this one (a partition of the disk, the disk of the partition, a
    /// device under a dm stack), that device is named too.
    /// </summary>
    private static HotplugFailure Busy(OpenedTarget target, Related related, AccessMode mode, string where, string when)
    {
        DeviceNumber device = related.Device;
        string overlap = related.IsItself ? "" : $"overlaps {related.Member.Name} ({related.Member.Device}), which ";
        string subject = target.Kind == TargetKind.File
            ? $"File {target.Path} is loopback-mounted through {device}, which {overlap}is mounted"
            : $"Device {target.Path} ({device}) {overlap}is mounted";
        (string used, string wanted) = mode == AccessMode.Write ? ("", "") : ("read-write ", "read-only ");
        return new HotplugFailure($"{subject} {used}in {where}, and so cannot be mounted {wanted}{when}.", HotplugFailure.StatusBusy);
    }
}
