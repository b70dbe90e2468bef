using System;
using System.Collections.Generic;
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
    /// finds with `losetup -a`. The identity comes from LOOP_GET_STATUS64 (lo_device, lo_inode), not from
    /// sysfs: loop/backing_file is a path made at read time (d_path), which names nothing once the file
    /// is unlinked (" (deleted)") and is relative to the reader's root, so a file in another mount namespace
    /// or chroot shows a path that may name a different file here; a path can only be stat-ed, which is
    /// trusting it twice. (lo_file_name is worse: 64 bytes, fixed at attach.) Devices that vanish or
    /// unbind during the scan are skipped.
    /// </summary>
    internal static IReadOnlyList<DeviceNumber> LoopsBackedBy(ulong stDev, ulong stIno)
    {
        var found = new List<DeviceNumber>();
        foreach (string name in BoundLoopNames())
        {
            DeviceNumber? device = LoopBackingIs(name, stDev, stIno);
            if (device is { } d)
                found.Add(d);
        }
        return found;
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
