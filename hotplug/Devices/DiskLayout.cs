using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;

namespace BlockDiskseq.Devices;

/// <summary>
/// Where block devices sit on their disks, from sysfs (docs/design.md, "Overlapping devices"). A
/// partition's directory is inside its whole disk's (/sys/block/sda/sda1), with `start` and `size` in
/// 512-byte sectors; a whole disk has `size` and no `partition` attribute. Two devices overlap when they
/// are on one disk and their sector ranges meet: a disk and each of its partitions, and partitions a
/// crafted table makes overlap (the kernel does not refuse those when it reads the table). slaves/ lists
/// the devices a dm or md device is built on.
/// </summary>
internal static class DiskLayout
{
    /// <summary>A device with its sysfs directory and its sector range on its whole disk.</summary>
    internal readonly record struct Extent(DeviceNumber Device, string Name, string Directory, ulong Start, ulong Sectors)
    {
        internal bool Meets(Extent other) => Start < other.Start + other.Sectors && other.Start < Start + Sectors;
    }

    /// <summary>
    /// The device itself first, then every other device on its disk whose range meets its own (the whole
    /// disk of a partition; the partitions of a disk). Only the device itself when sysfs does not know it.
    /// </summary>
    internal static IReadOnlyList<Extent> Overlapping(DeviceNumber device)
    {
        if (ExtentOf(DirectoryOf(device)) is not { } self)
            return [new Extent(device, device.ToString(), Sysfs.DevBlock(device), 0, 0)];
        var found = new List<Extent> { self };
        string disk = IsPartition(self.Directory) ? Path.GetDirectoryName(self.Directory)! : self.Directory;
        foreach (string member in Members(disk))
        {
            if (ExtentOf(member) is { } other && other.Device != device && other.Meets(self))
                found.Add(other);
        }
        return found;
    }

    /// <summary>The whole disk a partition is on; the device itself for a whole disk or a device sysfs does not know.</summary>
    internal static DeviceNumber WholeDisk(DeviceNumber device)
    {
        string? directory = DirectoryOf(device);
        if (directory is null || !IsPartition(directory))
            return device;
        return DeviceOf(Path.GetDirectoryName(directory)!) ?? device;
    }

    /// <summary>The partitions of a whole disk (none for a partition or an unknown device).</summary>
    internal static IReadOnlyList<DeviceNumber> Partitions(DeviceNumber disk)
    {
        string? directory = DirectoryOf(disk);
        if (directory is null || IsPartition(directory))
            return [];
        var found = new List<DeviceNumber>();
        foreach (string member in Members(directory))
        {
            if (member != directory && DeviceOf(member) is DeviceNumber partition)
                found.Add(partition);
        }
        return found;
    }

    /// <summary>The devices <paramref name="device"/> is built on, transitively (slaves/ of dm and md), nearest first.</summary>
    internal static IReadOnlyList<DeviceNumber> Below(DeviceNumber device)
    {
        var below = new List<DeviceNumber>();
        var pending = new Queue<string>([DirectoryOf(device) ?? Sysfs.DevBlock(device)]);
        while (pending.Count > 0 && below.Count < MaxStackDevices)
        {
            foreach (string slave in KernelFile.TryList(Path.Combine(pending.Dequeue(), "slaves")) ?? [])
            {
                string? directory = Resolve(slave);
                if (directory is not null && DeviceOf(directory) is { } lower && !below.Contains(lower))
                {
                    below.Add(lower);
                    pending.Enqueue(directory);
                }
            }
        }
        return below;
    }

    /// <summary>Bounds the walk down a stack (a loop in sysfs links would be a kernel bug, but costs nothing to stop).</summary>
    private const int MaxStackDevices = 256;

    private static IEnumerable<string> Members(string disk)
    {
        yield return disk;
        foreach (string child in KernelFile.TryList(disk, directoriesOnly: true) ?? [])
        {
            if (IsPartition(child))
                yield return child;
        }
    }

    private static bool IsPartition(string directory) => File.Exists(Path.Combine(directory, "partition"));

    /// <summary>/sys/dev/block/M:m resolved to the device's own directory (under /sys/devices); null if gone.</summary>
    private static string? DirectoryOf(DeviceNumber device) => Resolve(Sysfs.DevBlock(device));

    private static string? Resolve(string link)
    {
        try
        {
            var info = new DirectoryInfo(link);
            return info.Exists ? (info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? info.FullName) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static Extent? ExtentOf(string? directory)
    {
        if (directory is null || DeviceOf(directory) is not { } device || Number(directory, "size") is not { } sectors)
            return null;
        ulong start = IsPartition(directory) ? Number(directory, "start") ?? 0 : 0;
        return new Extent(device, Path.GetFileName(directory), directory, start, sectors);
    }

    private static DeviceNumber? DeviceOf(string directory)
        => DeviceNumber.ParseDecimal(KernelFile.TryReadText(Path.Combine(directory, "dev"))?.TrimEnd('\n'));

    private static ulong? Number(string directory, string attribute)
        => ulong.TryParse(KernelFile.TryReadText(Path.Combine(directory, attribute))?.TrimEnd('\n'),
                          NumberStyles.None, CultureInfo.InvariantCulture, out ulong value) ? value : null;
}
