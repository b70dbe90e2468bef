using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using BlockDiskseq.Devices;
using BlockDiskseq.Sharing;

namespace BlockDiskseq.TestSupport;

/// <summary>
/// The one "no loop device left on this image" check of the tests, the benchmarks and the fuzz target.
/// It finds loop devices by the image's inode (st_dev, st_ino) the way the program does (LocalUsage.LoopsBackedBy),
/// never by the path in /sys/block/loopN/loop/backing_file: that path is made at read time, so a renamed or
/// deleted image, or a path reached through a link, reads differently from the path the test holds.
/// </summary>
internal static class LoopsLeft
{
    /// <summary>
    /// How long a detach may take to show. Autoclear detaches at the last close, which is ours (or the blkback
    /// emulator's) unless another opener holds the device for a moment: a parallel scan by another test or
    /// program, udev on hosts that run it, a killed process that is still exiting. On an idle host the detach is done before close() returns; with
    /// several test runs sharing two cores, closes have taken seconds to be scheduled. 10 s bounds only a
    /// failing check (a passing one returns as soon as nothing is left); it is not a speed target.
    /// </summary>
    internal static readonly TimeSpan SettleLimit = TimeSpan.FromSeconds(10);

    /// <summary>Waits (up to SettleLimit) until no loop device is bound to the inode; returns those still bound.</summary>
    internal static IReadOnlyList<DeviceNumber> On(ulong stDev, ulong stIno)
    {
        IReadOnlyList<DeviceNumber> bound = [];
        _ = Settle(() => (bound = LocalUsage.LoopsBackedBy(stDev, stIno)).Count == 0);
        return bound;
    }

    /// <summary>The same for an image by path (stat-ed once, now).</summary>
    internal static IReadOnlyList<DeviceNumber> On(string image)
    {
        FileStatus status = FileStatus.TryOfPath(image) ?? throw new System.IO.FileNotFoundException(image);
        return On(status.Dev, status.Ino);
    }

    /// <summary>Polls the condition every 10 ms until it holds (true) or SettleLimit has passed (false).</summary>
    internal static bool Settle(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > SettleLimit)
                return false;
            Thread.Sleep(10);
        }
        return true;
    }
}
