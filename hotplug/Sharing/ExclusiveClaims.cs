using System;
using System.Collections.Generic;
using System.Linq;
using BlockDiskseq.Devices;
using BlockDiskseq.Native;
using BlockDiskseq.Reporting;

namespace BlockDiskseq.Sharing;

/// <summary>
/// Whether the kernel has a device claimed exclusively, and by whom (issue 21, item 5). Every in-kernel user
/// that must not share a device claims it: a mounted filesystem in any mount namespace, active swap, a dm or md
/// device built on it, a loop device being configured, a program that opened it with O_EXCL. An exclusive open
/// of ours answers EBUSY for each (block/bdev.c, bd_may_claim: a whole disk is refused while one of its
/// partitions is claimed, a partition while its whole disk is), whatever namespace the claim was made in,
/// where mountinfo only shows our own. The probe is read-only, so closing it sends no "change" uevent (udev's
/// watch fires on the close of a writer), non-blocking, and closed at once: nothing of it outlives the check.
/// blkback opens its device without a claim (docs/protocol-facts.md §5), so other guests never make it fail.
/// </summary>
internal static class ExclusiveClaims
{
    /// <summary>Who holds the device and whether that holder writes to it (what a read-only add must know).</summary>
    internal readonly record struct Claim(string Holder, bool Writes);

    /// <summary>The claim on the device, named as well as we can; null when an exclusive open succeeds.</summary>
    /// <param name="target">The target's own fd when the device is the target: reopened, so no node is needed.</param>
    internal static Claim? Of(DeviceNumber device, SafeFd? target = null)
        => IsClaimed(device, target) ? Name(device) : null;

    private const int ProbeFlags = LibC.O_RDONLY | LibC.O_EXCL | LibC.O_NONBLOCK;

    private static bool IsClaimed(DeviceNumber device, SafeFd? target)
    {
        try
        {
            using SafeFd? probe = target is null ? BlockDeviceNode.Open(device, ProbeFlags) : Reopen(target);
            if (probe is null)
                Log.Warning($"{device} has no device node in /dev that is this device: cannot ask whether it is claimed");
            return false;
        }
        catch (NativeException e) when (e.Errno == LibC.EBUSY)
        {
            return true;
        }
        catch (NativeException e) when (e.Errno is LibC.ENOENT or LibC.ENXIO or LibC.ENODEV)
        {
            return false; // gone since it was found: nobody holds it
        }
    }

    private static SafeFd Reopen(SafeFd target)
        => NativeException.Check(LibC.open($"/proc/self/fd/{target.Fd}", ProbeFlags | LibC.O_CLOEXEC | LibC.O_NOCTTY, 0),
                                 "open", $"/proc/self/fd/{target.Fd}");

    /// <summary>
    /// The holder, most specific first: a device stacked on it (sysfs holders/), swap, a mount in any mount
    /// namespace. A claim none of those explains is assumed to write: an unknown user may.
    /// </summary>
    private static Claim Name(DeviceNumber device)
    {
        IReadOnlyList<DeviceNumber> devices = [device, .. DiskLayout.Partitions(device)];
        foreach (DeviceNumber each in devices)
        {
            if (StackedUse.HolderOf(Sysfs.DevBlock(each)) is (string holder, bool stackMayWrite))
                return new Claim($"held by {holder}", stackMayWrite);
        }
        if (SwapOn(devices) is string swap)
            return new Claim($"used as swap ({swap})", Writes: true);
        if (MountNamespaces.Find(devices) is MountNamespaces.Mount mount)
        {
            string where = mount.Namespace is null ? $"on {mount.Point}" : $"on {mount.Point} in {mount.Namespace}";
            return new Claim(mount.Writable ? where : $"{where}, read-only", mount.Writable);
        }
        return new Claim("claimed exclusively by a user block-diskseq cannot name: a mount in a namespace no process "
            + "shows, a filesystem being mounted or checked, or a program that opened it with O_EXCL", Writes: true);
    }

    internal const string SwapsPath = "/proc/swaps";

    /// <summary>The /proc/swaps entry of type "partition" that is one of the devices.</summary>
    private static string? SwapOn(IReadOnlyList<DeviceNumber> devices)
    {
        foreach ((string path, FileStatus status) in Swaps("partition"))
        {
            if (status.Type == LibC.S_IFBLK && devices.Contains(status.RDev))
                return path;
        }
        return null;
    }

    /// <summary>The active swap file that is this inode, or null. The kernel keeps swap files from being written (ETXTBSY).</summary>
    internal static string? SwapFile(ulong stDev, ulong stIno)
    {
        foreach ((string path, FileStatus status) in Swaps("file"))
        {
            if (status.Type == LibC.S_IFREG && status.Dev == stDev && status.Ino == stIno)
                return path;
        }
        return null;
    }

    /// <summary>/proc/swaps entries of one type ("Filename Type Size Used Priority" after a header), with what their path is now.</summary>
    private static IEnumerable<(string Path, FileStatus Status)> Swaps(string type)
    {
        foreach (string line in (KernelFile.TryReadText(SwapsPath) ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2 || fields[1] != type)
                continue; // the header, and entries of the other type
            string path = LocalUsage.Unescape(fields[0]); // swap_show escapes as mountinfo does (seq_file_path)
            if (FileStatus.TryOfPathCached(path) is FileStatus status)
                yield return (path, status);
        }
    }
}
