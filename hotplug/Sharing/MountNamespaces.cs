using System;
using System.Collections.Generic;
using System.IO;
using BlockDiskseq.Devices;

namespace BlockDiskseq.Sharing;

/// <summary>
/// Mounts of a device in every mount namespace on the host, to name who holds a device that an exclusive open
/// refuses (ExclusiveClaims). /proc/self/mountinfo shows only our namespace; a container or a service with
/// private mounts (systemd's PrivateMounts=, ProtectSystem=) has its own, which /proc/PID/mountinfo of any of its
/// processes shows. Namespaces are told apart by the inode of /proc/PID/ns/mnt (namespaces(7)). Only asked after
/// a refusal, so its cost (one read per namespace) is never paid by an add that goes through.
/// </summary>
internal static class MountNamespaces
{
    /// <summary>One mount of the device: where, in which namespace (null: ours), and whether it is writable.</summary>
    internal readonly record struct Mount(string Point, string? Namespace, bool Writable);

    /// <summary>A mount of one of the devices, ours first, writable ones before read-only ones; null if none is visible.</summary>
    internal static Mount? Find(IReadOnlyList<DeviceNumber> devices)
    {
        Mount? readOnly = null;
        var seen = new HashSet<ulong> { NamespaceInode("self") ?? 0 };
        foreach ((string process, string? description) in Processes(seen))
        {
            if (KernelFile.TryReadText($"/proc/{process}/mountinfo") is not string mountInfo)
                continue; // exited meanwhile
            foreach (DeviceNumber device in devices)
            {
                if (LocalUsage.MountPointIn(mountInfo, device, writableOnly: true) is string point)
                    return new Mount(point, description, Writable: true);
                if (readOnly is null && LocalUsage.MountPointIn(mountInfo, device, writableOnly: false) is string roPoint)
                    readOnly = new Mount(roPoint, description, Writable: false);
            }
        }
        return readOnly;
    }

    /// <summary>"self" first, then one process of every other mount namespace, described ("the mount namespace of process 42 (nginx)").</summary>
    private static IEnumerable<(string Process, string? Description)> Processes(HashSet<ulong> seen)
    {
        yield return ("self", null);
        IEnumerable<string> entries;
        try
        {
            entries = Directory.EnumerateDirectories("/proc");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break; // naming the holder is a courtesy; the refusal stands without it
        }
        foreach (string entry in entries)
        {
            string pid = Path.GetFileName(entry);
            if (!int.TryParse(pid, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))
                continue;
            if (NamespaceInode(pid) is ulong inode && seen.Add(inode))
                yield return (pid, $"the mount namespace of process {pid} ({Comm(pid)})");
        }
    }

    private static ulong? NamespaceInode(string process) => FileStatus.TryOfPath($"/proc/{process}/ns/mnt")?.Ino;

    private static string Comm(string pid) => KernelFile.TryReadText($"/proc/{pid}/comm")?.TrimEnd('\n') ?? "exited";
}
