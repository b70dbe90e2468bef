using System;
using System.Collections.Generic;
using System.Linq;
using BlockDiskseq.Cli;
using BlockDiskseq.Devices;
using BlockDiskseq.Disk;

namespace BlockDiskseq.Sharing;

/// <summary>
/// The BackingLock of every target of a disk, taken in one global order, so two adds that share two
/// objects (a snapshot origin and a COW, say) can never each hold one and wait for the other.
/// </summary>
internal sealed class BackingLocks : IDisposable
{
    private readonly List<BackingLock> held = [];

    internal static BackingLocks Acquire(OpenedDisk disk, Deadline deadline)
    {
        var locks = new BackingLocks();
        try
        {
            foreach ((ulong dev, ulong ino) in disk.Uses.Select(use => Key(use.Target)).Distinct().Order())
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
    /// A file is its inode. A block device is its device number, not its node's inode: /dev/dm-3 and a
    /// /dev/mapper node made without udev (or a node in a chroot) are different inodes of one device. Inode 0
    /// never names a file, so the device key cannot meet a file's.
    /// </summary>
    private static (ulong Dev, ulong Ino) Key(OpenedTarget target)
        => target.Kind == TargetKind.BlockDevice ? (target.Device.ToDevT(), 0) : (target.StDev, target.StIno);

    public void Dispose()
    {
        foreach (BackingLock backingLock in held)
            backingLock.Dispose();
    }
}
