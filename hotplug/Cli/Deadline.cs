using System;
using System.Diagnostics;

namespace BlockDiskseq.Cli;

/// <summary>The program's own deadline, counted from start-up on the monotonic clock.</summary>
internal sealed class Deadline
{
    private readonly long start = Stopwatch.GetTimestamp();

    public Deadline(TimeSpan limit) => Limit = limit;

    public TimeSpan Limit { get; }

    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(start);

    /// <summary>Never negative: zero once the deadline has passed.</summary>
    public TimeSpan Remaining => Limit - Elapsed is { Ticks: > 0 } left ? left : TimeSpan.Zero;

    public bool Passed => Remaining == TimeSpan.Zero;
}
