using System;
using System.Collections.Generic;
using System.Linq;
using BlockDiskseq.Cli;
using BlockDiskseq.Devices;
using BlockDiskseq.Disk;
using BlockDiskseq.Native;

namespace BlockDiskseq.Sharing;

/// <summary>
/// The BackingLock of every object a disk's targets reach (Keys), taken in one global order, so two adds
/// that share two objects (a snapshot origin and a COW, say) can never each hold one and wait for the other.
/// </summary>
internal sealed class BackingLocks : IDisposable
{
    private readonly List<BackingLock> held = [];

    internal static BackingLocks Acquire(OpenedDisk disk, Deadline deadline)
    {
        var locks = new BackingLocks();
        try
        {
            foreach ((ulong dev, ulong ino) in disk.Uses.SelectMany(use => Keys(use.Target)).Distinct().Order())
                locks.held.Add(BackingLock.Acquire(dev, ino, deadline.Remaining));
            return locks;
        }
        catch
        {
            locks.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Every object whose data the target reaches, so two adds that touch the same sectors through different
    /// devices wait for each other (issue 21, items 1 and 2). A file is its inode. A block device is the whole
    /// disk it is on, not its own number: a disk and its partitions, and a dm slice of one, are one lock; a dm
    /// or md device adds the whole disks it is built on; a loop device adds what it is bound to (its file, or
    /// the block device under it, followed down). By device number, not a node's inode: /dev/dm-3 and a
    /// /dev/mapper node made without udev are different inodes of one device. Inode 0 never names a file, so a
    /// device key cannot meet a file's.
    /// </summary>
    internal static IEnumerable<(ulong Dev, ulong Ino)> Keys(OpenedTarget target)
        => target.Kind == TargetKind.File ? [(target.StDev, target.StIno)] : DeviceKeys(target.Device, depth: 0);

    private static IEnumerable<(ulong Dev, ulong Ino)> DeviceKeys(DeviceNumber device, int depth)
    {
        foreach (DeviceNumber part in (IEnumerable<DeviceNumber>)[device, .. DiskLayout.Below(device)])
        {
            yield return (DiskLayout.WholeDisk(part).ToDevT(), 0);
            if (depth >= MaxLoopChain || LoopBackingOf(part) is not LoopBackings.Entry loop)
                continue;
            if (loop.BlockBacking is DeviceNumber under)
            {
                foreach ((ulong Dev, ulong Ino) key in DeviceKeys(under, depth + 1))
                    yield return key;
            }
            else
            {
                yield return (loop.FileDevice.ToDevT(), loop.FileInode);
            }
        }
    }

    /// <summary>Loop devices bound to loop devices: followed this far (a longer chain is still locked at each device we reach).</summary>
    private const int MaxLoopChain = 8;

    private static LoopBackings.Entry? LoopBackingOf(DeviceNumber device)
        => device.Major == LibC.LOOP_MAJOR ? LoopBackings.Query(device, $"loop device {device}", $"loop device {device}", out _) : null;

    public void Dispose()
    {
        foreach (BackingLock backingLock in held)
            backingLock.Dispose();
    }
}
