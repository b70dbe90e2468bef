using System;
using System.Collections.Generic;
using System.Linq;
using BlockDiskseq.Backend;
using BlockDiskseq.Devices;
using BlockDiskseq.Native;
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
    /// <param name="claims">Who else uses or names each device (read once per add).</param>
    /// <param name="scan">What every bound loop device is bound to (read once per add, under the locks, at the first use checked).</param>
    internal static void Check(Xenstore xs, BackendPath be, AccessMode mode, OpenedTarget target, BackendClaims claims,
                               Lazy<LoopBackings> scan)
    {
        if (mode == AccessMode.WriteUnchecked)
            return;
        if (target.Kind == TargetKind.File && ExclusiveClaims.SwapFile(target.StDev, target.StIno) is string swapFile)
            throw new HotplugFailure($"File {target.Path} is dom0's active swap file ({swapFile}), and so cannot be mounted by a guest.",
                                     HotplugFailure.StatusBusy);
        LoopBackings loops = scan.Value;
        IReadOnlyList<DeviceNumber> devices = Aliases(target, loops);
        if (devices.Count == 0)
            return;
        var related = new List<Related>();
        var overlapping = new List<(DeviceNumber Device, IReadOnlyList<DiskLayout.Extent> Members)>();
        foreach (DeviceNumber device in devices)
        {
            IReadOnlyList<DiskLayout.Extent> members = DiskLayout.Overlapping(device);
            overlapping.Add((device, members));
            foreach (DiskLayout.Extent member in members)
                related.Add(CheckLocal(target, mode, new Related(device, member), holdersCount: true, loops, devices));
            // What it is built on (a dm or md device's lower devices) and what overlaps those: written
            // through another path, they change it. Their holders are not asked: that is this very stack,
            // or a sibling on other sectors (two logical volumes of one volume group).
            foreach (DeviceNumber lower in DiskLayout.Below(device))
            {
                foreach (DiskLayout.Extent member in DiskLayout.Overlapping(lower))
                    related.Add(CheckLocal(target, mode, new Related(device, member), holdersCount: false, loops, devices));
            }
        }
        foreach ((DeviceNumber device, IReadOnlyList<DiskLayout.Extent> members) in overlapping)
            CheckExclusiveClaims(target, mode, device, members, claims);
        var vms = new SameVm(xs, be.FrontendId);
        foreach ((BackendPath other, Related used, AccessMode otherMode) in OtherUsers(xs, claims, related))
        {
            bool conflict = mode == AccessMode.Write || otherMode == AccessMode.Write;
            if (conflict && !vms.Includes(other.FrontendId))
                throw Busy(target, used, mode, $"a guest domain (domain {other.FrontendId}, {other.Path})", "now");
        }
    }

    /// <summary>
    /// The devices through which the target's data is reached, whose users are its users: a file's loop
    /// devices (Xen: losetup -a by st_dev:st_ino); a block device itself and, when it is a loop device, what it
    /// is bound to: the block device under it (followed down), or its file and every loop device of that file
    /// (issue 21, item 2: an admin's `losetup -f img` exported by number is still that image).
    /// </summary>
    private static IReadOnlyList<DeviceNumber> Aliases(OpenedTarget target, LoopBackings loops)
    {
        if (target.Kind == TargetKind.File)
            return [.. loops.OfFile(target.StDev, target.StIno).Select(entry => entry.Loop)];
        var devices = new List<DeviceNumber> { target.Device };
        for (DeviceNumber current = target.Device; devices.Count <= MaxLoopChain && loops.Of(current) is LoopBackings.Entry loop;)
        {
            if (loop.BlockBacking is not DeviceNumber under)
            {
                devices.AddRange(loops.OfFile(loop.FileDevice.ToDevT(), loop.FileInode).Select(entry => entry.Loop).Where(d => !devices.Contains(d)));
                break;
            }
            if (devices.Contains(under))
                break;
            devices.Add(under);
            current = under;
        }
        return devices;
    }

    /// <summary>Loop devices bound to loop devices: followed this far down.</summary>
    private const int MaxLoopChain = 8;

    /// <summary>
    /// This domain's users of one related device: a mount, (holdersCount) a device stacked on it, and a loop
    /// device bound to it that is not one of the target's own aliases (issue 21, item 6: a loop device on the
    /// target writes to it as surely as a mount does).
    /// </summary>
    private static Related CheckLocal(OpenedTarget target, AccessMode mode, Related related, bool holdersCount,
                                      LoopBackings loops, IReadOnlyList<DeviceNumber> aliases)
    {
        DeviceNumber member = related.Member.Device;
        if (LocalUsage.MountPointOf(member, writableOnly: mode == AccessMode.Read) is string mountPoint)
            throw Busy(target, related, mode, $"the privileged domain (on {mountPoint})", "by a guest");
        if (holdersCount && StackedUse.ConflictingHolder(Sysfs.DevBlock(member), mode) is string holder)
            throw Busy(target, related, mode, $"the privileged domain (held by {holder})", "by a guest");
        foreach (LoopBackings.Entry loop in loops.OnBlockDevice(member))
        {
            if (!aliases.Contains(loop.Loop) && (mode != AccessMode.Read || !loop.ReadOnly))
                throw Busy(target, related, mode, $"the privileged domain (loop device {loop.Name} is bound to it)", "by a guest");
        }
        return related;
    }

    /// <summary>
    /// An exclusive claim on the device, in any mount namespace (issue 21, item 5): refused for writing, and for
    /// reading when the holder writes. A partition is also probed against partitions that overlap it (a crafted
    /// table); its whole disk is not, as a claim on any other partition marks the whole disk claimed.
    /// </summary>
    /// <remarks>
    /// A device another backend uses or names is left to the guest rules below: an add holds its loop device
    /// O_EXCL until blkback has it, and that claim is a guest's, judged by its mode.
    /// </remarks>
    private static void CheckExclusiveClaims(OpenedTarget target, AccessMode mode, DeviceNumber device,
                                             IReadOnlyList<DiskLayout.Extent> members, BackendClaims claims)
    {
        DeviceNumber wholeDisk = DiskLayout.WholeDisk(device);
        foreach (DiskLayout.Extent member in members)
        {
            if ((member.Device != device && member.Device == wholeDisk) || claims.Of(member.Device).Count > 0)
                continue;
            SafeFd? own = member.Device == target.Device && target.Kind == TargetKind.BlockDevice ? target.Fd : null;
            if (ExclusiveClaims.Of(member.Device, own) is ExclusiveClaims.Claim claim && (mode != AccessMode.Read || claim.Writes))
                throw Busy(target, new Related(device, member), mode, $"the privileged domain ({claim.Holder})", "by a guest");
        }
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
