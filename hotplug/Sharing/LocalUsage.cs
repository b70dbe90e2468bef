using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
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
    /// finds with `losetup -a`: by the kernel's own answer (LoopBackings), never by a path.
    /// </summary>
    internal static IReadOnlyList<DeviceNumber> LoopsBackedBy(ulong stDev, ulong stIno)
        => [.. LoopBackings.Scan().OfFile(stDev, stIno).Select(entry => entry.Loop)];

    /// <summary>The whole loop devices in /proc/partitions, by name.</summary>
    internal static IEnumerable<string> LoopNamesIn(string partitions)
        => LoopBackings.LoopsIn(partitions).Select(loop => loop.Name);

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
    internal static string Unescape(string field)
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
