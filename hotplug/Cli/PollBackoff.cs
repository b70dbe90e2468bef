using System;
using System.Diagnostics;
using System.Threading;

namespace BlockDiskseq.Cli;

/// <summary>
/// The wait between polls of something that has no blocking call with a timeout (flock, a device node appearing):
/// 1 ms, doubling up to 50 ms, until a limit. Most waits end within a few polls (a lock held for milliseconds),
/// and a long one costs at most 20 wake-ups a second.
/// </summary>
internal sealed class PollBackoff(TimeSpan limit)
{
    private static readonly TimeSpan FirstInterval = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan MaxInterval = TimeSpan.FromMilliseconds(50);

    private readonly long start = Stopwatch.GetTimestamp();
    private TimeSpan interval = FirstInterval;

    /// <summary>Sleeps before the next poll (never past the limit); false, without sleeping, once the limit has passed.</summary>
    public bool Wait()
    {
        TimeSpan left = limit - Stopwatch.GetElapsedTime(start);
        if (left <= TimeSpan.Zero)
            return false;
        Thread.Sleep(interval < left ? interval : left);
        interval = interval * 2 < MaxInterval ? interval * 2 : MaxInterval;
        return true;
    }
}
