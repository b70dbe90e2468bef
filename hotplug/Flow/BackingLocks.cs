using System;
using System.Collections.Generic;
using System.Linq;
using BlockDiskseq.Devices;

namespace BlockDiskseq.Flow;

/// <summary>
/// The BackingLock of every target of a disk, taken in one global order (st_dev, st_ino), so two adds
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
            foreach ((ulong dev, ulong ino) in disk.Uses.Select(use => (use.Target.StDev, use.Target.StIno)).Distinct().Order())
                locks.held.Add(BackingLock.Acquire(dev, ino, deadline.Remaining));
            return locks;
        }
        catch
        {
            locks.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        foreach (BackingLock backingLock in held)
            backingLock.Dispose();
    }
}
