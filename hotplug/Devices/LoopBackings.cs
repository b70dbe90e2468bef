using System;
using System.Collections.Generic;
using BlockDiskseq.DeviceMapper;
using BlockDiskseq.Native;
using BlockDiskseq.Reporting;

namespace BlockDiskseq.Devices;

/// <summary>
/// What every bound loop device on the host is backed by, as the kernel says with LOOP_GET_STATUS64
/// (docs/design.md, "Finding the loop devices of a file"): the backing file's st_dev and st_ino from the
/// file the loop driver holds, so the answer does not depend on a path. sysfs's loop/backing_file is a path
/// made at read time: covered by a later mount, lazily unmounted, made in another mount namespace or longer
/// than a page, it names nothing we can stat (issue 21, items 3 and 7). The kernel's answer has none of that.
/// Its cost: each bound loop device is opened (read-only, non-exclusive: its owner is not disturbed) and asked;
/// the ioctl stats the backing file, so a loop device whose file is on an unresponsive network server stalls
/// the add until libxl's timeout (the README, "Safety", says so). One scan per add, read under the locks.
/// </summary>
internal sealed class LoopBackings
{
    /// <summary>One bound loop device and what backs it. BlockBacking is set when the backing "file" is a block device node.</summary>
    internal readonly record struct Entry(DeviceNumber Loop, string Name, DeviceNumber FileDevice, ulong FileInode,
                                          DeviceNumber? BlockBacking, bool ReadOnly);

    private readonly List<Entry> entries;

    private LoopBackings(List<Entry> entries) => this.entries = entries;

    internal IReadOnlyList<Entry> Entries => entries;

    /// <summary>Every bound loop device: those /proc/partitions lists (a bound device has sectors), each asked by ioctl.</summary>
    internal static LoopBackings Scan()
    {
        var found = new List<Entry>();
        string partitions = KernelFile.TryReadText(PartitionsPath)
            ?? throw new HotplugFailure($"{PartitionsPath} does not exist: cannot look for loop devices");
        foreach ((string name, DeviceNumber device) in LoopsIn(partitions))
        {
            if (Ask(name, device) is Entry entry)
                found.Add(entry);
        }
        return new LoopBackings(found);
    }

    internal const string PartitionsPath = "/proc/partitions";

    /// <summary>The loop devices backed by the file with this st_dev and st_ino.</summary>
    internal IEnumerable<Entry> OfFile(ulong stDev, ulong stIno)
    {
        DeviceNumber fileDevice = DeviceNumber.FromDevT(stDev);
        foreach (Entry entry in entries)
        {
            if (entry.BlockBacking is null && entry.FileDevice == fileDevice && entry.FileInode == stIno)
                yield return entry;
        }
    }

    /// <summary>The loop devices stacked on this block device (bound to a node of it).</summary>
    internal IEnumerable<Entry> OnBlockDevice(DeviceNumber device)
    {
        foreach (Entry entry in entries)
        {
            if (entry.BlockBacking == device)
                yield return entry;
        }
    }

    /// <summary>The entry of this loop device; null if it is not bound (or not a loop device).</summary>
    internal Entry? Of(DeviceNumber loop)
    {
        foreach (Entry entry in entries)
        {
            if (entry.Loop == loop)
                return entry;
        }
        return null;
    }

    /// <summary>
    /// One device's backing; null when it is unbound by now or cannot be asked. Someone else's device that
    /// cannot be opened or asked is said in the log and left out, never fatal to our add (issue 21, item 7).
    /// </summary>
    private static Entry? Ask(string name, DeviceNumber device)
    {
        try
        {
            if (Query(device, name, "/dev/" + name, out bool reachable) is Entry entry)
                return entry;
            if (!reachable)
                Log.Warning($"{name} ({device}) has no device node in /dev that is this device: its backing file is not known");
            return null;
        }
        catch (NativeException e) when (e.Errno is LibC.ENOENT or LibC.ENXIO or LibC.ENODEV)
        {
            return null; // detached or deleted since /proc/partitions was read
        }
        catch (NativeException e)
        {
            Log.Warning($"{name} ({device}): {e.Message}: its backing file is not known");
            return null;
        }
    }

    /// <summary>
    /// The backing of one loop device, opened by number; null when it is unbound, or (with
    /// <paramref name="reachable"/> false) when it has no node in /dev that is this device.
    /// </summary>
    /// <param name="shownPath">What to call the device in an error.</param>
    /// <exception cref="NativeException">The open or the ioctl failed.</exception>
    internal static Entry? Query(DeviceNumber device, string name, string shownPath, out bool reachable)
    {
        using SafeFd? fd = BlockDeviceNode.Open(device, LibC.O_RDONLY | LibC.O_NONBLOCK);
        reachable = fd is not null;
        return fd is not null && LoopDevice.TryGetStatus(fd, shownPath, out LibC.loop_info64 info) ? FromStatus(name, device, info) : null;
    }

    internal static Entry FromStatus(string name, DeviceNumber device, in LibC.loop_info64 info)
    {
        // lo_device and lo_rdevice are huge_encode_dev(stat.dev/rdev) (drivers/block/loop.c, loop_get_status);
        // a regular file's rdev is 0.
        DeviceNumber? block = info.lo_rdevice == 0 ? null : HugeDev.Decode(info.lo_rdevice);
        return new Entry(device, name, HugeDev.Decode(info.lo_device), info.lo_inode, block,
                         (info.lo_flags & LibC.LO_FLAGS_READ_ONLY) != 0);
    }

    /// <summary>The whole loop devices in /proc/partitions ("major minor  #blocks  name" lines after a header).</summary>
    internal static IEnumerable<(string Name, DeviceNumber Device)> LoopsIn(string partitions)
    {
        foreach (string line in partitions.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 4 && LoopDevice.IsLoopName(fields[3])
                && DeviceNumber.ParseDecimal($"{fields[0]}:{fields[1]}") is DeviceNumber device)
                yield return (fields[3], device);
        }
    }
}
