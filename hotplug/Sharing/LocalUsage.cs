using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using BlockDiskseq.Devices;
using BlockDiskseq.Native;
using BlockDiskseq.Reporting;

namespace BlockDiskseq.Sharing;

/// <summary>Uses of a backing object inside this domain, for the sharing checks (Xen's check_sharing).</summary>
internal static class LocalUsage
{
    internal const string MountInfoPath = "/proc/self/mountinfo";

    /// <summary>
    /// Every bound loop device whose backing file is the inode (stDev, stIno), as Xen's check_file_sharing
    /// finds with `losetup -a`, without opening any loop device (docs/design.md, "Finding the loop devices
    /// of a file"): an open, and LOOP_GET_STATUS64 above all (it stats the backing file), waits for a loop
    /// device whose file sits on a hung NFS server, and would stall every add. sysfs names each backing file
    /// (loop/backing_file, a path made at read time under the spinlock, no I/O). Only paths on the target's
    /// own filesystem are looked at: mountinfo says which filesystem a path is on, and the target's
    /// filesystem has just answered our open, so a stat of such a path (from the inode cache where it can)
    /// identifies the inode, hard links and all. A file of another filesystem cannot be the target, so it
    /// is never touched. An unlinked backing file (" (deleted)") on the target's filesystem has no path to
    /// stat: that one loop device is asked with LOOP_GET_STATUS64, on the filesystem that just answered.
    /// A loop device bound in another mount namespace to a path not visible here is not found.
    /// </summary>
    /// <param name="superblock">The device mountinfo shows for the target's filesystem, when it differs from
    /// st_dev (btrfs subvolumes report their own st_dev); null to compare with stDev only.</param>
    internal static IReadOnlyList<DeviceNumber> LoopsBackedBy(ulong stDev, ulong stIno, DeviceNumber? superblock = null)
    {
        var found = new List<DeviceNumber>();
        List<(string Point, DeviceNumber Device)>? mounts = null;
        foreach (string name in BoundLoopNames())
        {
            string directory = $"{Sysfs.Root}/block/{name}";
            string? backing = KernelFile.TryReadText($"{directory}/loop/backing_file");
            if (backing is null || DeviceOf(directory) is not { } device)
                continue; // unbound or gone since /proc/partitions was read
            backing = backing.EndsWith('\n') ? backing[..^1] : backing;
            mounts ??= MountPoints(KernelFile.TryReadText(MountInfoPath) ?? throw new HotplugFailure($"{MountInfoPath} does not exist"));
            if (!OnFilesystem(mounts, backing, stDev, superblock))
                continue;
            if (FileStatus.TryOfPathCached(backing) is { } status && status.Dev == stDev && status.Ino == stIno)
                found.Add(device);
            else if (backing.EndsWith(DeletedSuffix, StringComparison.Ordinal) && LoopBackingIs(name, stDev, stIno) is { } d)
                found.Add(d);
        }
        return found;
    }

    private const string DeletedSuffix = " (deleted)";

    private static DeviceNumber? DeviceOf(string directory)
        => DeviceNumber.ParseDecimal(KernelFile.TryReadText($"{directory}/dev")?.TrimEnd('\n'));

    /// <summary>
    /// Whether the absolute path lies on the filesystem stDev (or superblock): the device of the mount with
    /// the longest mount point that contains the path, the last listed of equals (it covers the others).
    /// </summary>
    internal static bool OnFilesystem(string mountInfo, string path, ulong stDev, DeviceNumber? superblock)
        => OnFilesystem(MountPoints(mountInfo), path, stDev, superblock);

    /// <summary>
    /// Every mount's point and device, parsed once per add rather than once per bound loop device (with 72
    /// bound, the per-device split of mountinfo was ~0.7 MiB of an add's peak RSS).
    /// </summary>
    private static List<(string Point, DeviceNumber Device)> MountPoints(string mountInfo)
    {
        var mounts = new List<(string, DeviceNumber)>();
        foreach (string line in mountInfo.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] fields = line.Split(' ');
            if (fields.Length >= 5 && DeviceNumber.ParseDecimal(fields[2]) is { } device)
                mounts.Add((Unescape(fields[4]), device));
        }
        return mounts;
    }

    private static bool OnFilesystem(List<(string Point, DeviceNumber Device)> mounts, string path, ulong stDev, DeviceNumber? superblock)
    {
        if (!path.StartsWith('/'))
            return false;
        if (path.EndsWith(DeletedSuffix, StringComparison.Ordinal))
            path = path[..^DeletedSuffix.Length];
        string? bestPoint = null;
        DeviceNumber? bestDevice = null;
        foreach ((string point, DeviceNumber device) in mounts)
        {
            bool contains = point == "/" || path == point || path.StartsWith(point + "/", StringComparison.Ordinal);
            if (contains && (bestPoint is null || point.Length >= bestPoint.Length))
                (bestPoint, bestDevice) = (point, device);
        }
        return bestDevice is { } d && (d.ToDevT() == stDev || d == superblock);
    }

    /// <summary>The device mountinfo shows for the mount with this ID (statx stx_mnt_id); null if none.</summary>
    internal static DeviceNumber? SuperblockOfMount(ulong mountId)
    {
        if (mountId == 0)
            return null;
        string id = mountId.ToString(CultureInfo.InvariantCulture) + " ";
        foreach (string line in (KernelFile.TryReadText(MountInfoPath) ?? "").Split('\n'))
        {
            string[] fields = line.Split(' ');
            if (line.StartsWith(id, StringComparison.Ordinal) && fields.Length > 2)
                return DeviceNumber.ParseDecimal(fields[2]);
        }
        return null;
    }

    // Every block device with sectors is in /proc/partitions, so a loop device is there while a file is bound
    // (an unbound one has none): one read, where a stat of /sys/block/loopN/loop per loop device cost ~7 us
    // each, most of a sharing check on a host that keeps a hundred loop devices. A bound loop device with no
    // sectors (a file under 512 bytes, an offset past its end) is not listed; it can read or write nothing
    // (losetup warns it is "useless or invisible for system tools").
    private static IEnumerable<string> BoundLoopNames()
        => LoopNamesIn(KernelFile.TryReadText(PartitionsPath)
                       ?? throw new HotplugFailure($"{PartitionsPath} does not exist: cannot look for loop devices backed by the file"));

    internal const string PartitionsPath = "/proc/partitions";

    /// <summary>The whole loop devices in /proc/partitions: "major minor  #blocks  name" lines after a header.</summary>
    internal static IEnumerable<string> LoopNamesIn(string partitions)
    {
        foreach (string line in partitions.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 4 && LoopDevice.IsLoopName(fields[3]))
                yield return fields[3];
        }
    }

    /// <summary>LOOP_GET_STATUS64 on the device: only for an unlinked backing file on the target's filesystem.</summary>
    private static DeviceNumber? LoopBackingIs(string name, ulong stDev, ulong stIno)
    {
        string path = "/dev/" + name;
        // Non-exclusive and read-only: the owner (blkback, another script) is not disturbed.
        using SafeFd fd = LibC.open(path, LibC.O_RDONLY | LibC.O_CLOEXEC | LibC.O_NOCTTY | LibC.O_NOFOLLOW | LibC.O_NONBLOCK, 0);
        if (fd.IsInvalid)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            fd.SetHandleAsInvalid();
            return errno is LibC.ENOENT or LibC.ENXIO ? null : throw new NativeException("open", path, errno);
        }
        FileStatus status = FileStatus.Of(fd, path);
        if (status.Type != LibC.S_IFBLK || status.RDev.Major != LibC.LOOP_MAJOR)
            return null;
        if (!LoopDevice.TryGetStatus(fd, path, out LibC.loop_info64 info))
            return null;
        return info.lo_device == stDev && info.lo_inode == stIno ? status.RDev : null;
    }

    /// <summary>
    /// A mount point of the device in this mount namespace (writable ones only if asked), or null: the
    /// "local" result of Xen's check_sharing, which scans /proc/mounts.
    /// </summary>
    internal static string? MountPointOf(DeviceNumber device, bool writableOnly)
        => MountPointIn(KernelFile.TryReadText(MountInfoPath) ?? throw new HotplugFailure($"{MountInfoPath} does not exist"),
                        device, writableOnly);

    /// <summary>
    /// mountinfo line: "36 35 98:0 /root /mnt rw,noatime master:1 - ext4 /dev/sda1 rw,errors=continue".
    /// Field 3 is the superblock's device in decimal; filesystems on several devices (btrfs) show an
    /// anonymous 0:N there, so a source under /dev/ is also stat-ed, as Xen's scan does with every source.
    /// Writable means both the mount (field 6) and the superblock (last field) say rw.
    /// </summary>
    internal static string? MountPointIn(string mountInfo, DeviceNumber device, bool writableOnly)
    {
        string decimalDevice = $"{device.Major}:{device.Minor}";
        foreach (string line in mountInfo.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] fields = line.Split(' ');
            int separator = fields.Length > 6 ? Array.IndexOf(fields, "-", 6) : -1;
            if (separator < 0 || separator + 3 >= fields.Length)
                continue;
            string source = Unescape(fields[separator + 2]);
            bool sameDevice = fields[2] == decimalDevice || SourceIsDevice(source, device);
            bool writable = FirstOption(fields[5]) == "rw" && FirstOption(fields[separator + 3]) == "rw";
            if (sameDevice && (writable || !writableOnly))
                return Unescape(fields[4]);
        }
        return null;
    }

    private static bool SourceIsDevice(string source, DeviceNumber device)
        => source.StartsWith(DiskTarget.DevicePrefix, StringComparison.Ordinal)
           && FileStatus.TryOfPath(source) is { } status && status.Type == LibC.S_IFBLK && status.RDev == device;

    // The kernel always puts "ro" or "rw" first in both option lists (show_mountinfo).
    private static string FirstOption(string options) => options.Split(',')[0];

    // show_mountinfo escapes space, tab, newline and backslash as \ooo octal.
    private static string Unescape(string field)
    {
        if (!field.Contains('\\'))
            return field;
        var bytes = new List<byte>(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && IsOctal(field, i + 1))
            {
                bytes.Add((byte)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(field[i].ToString()));
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static bool IsOctal(string s, int start)
        => start + 3 <= s.Length && s.AsSpan(start, 3).IndexOfAnyExceptInRange('0', '7') < 0;
}
