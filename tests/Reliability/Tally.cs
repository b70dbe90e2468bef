using System;
using System.Collections.Generic;
using System.Diagnostics;

namespace BlockDiskseq.Reliability;

/// <summary>The figures of one kind of trial (one row of docs/reliability.md). Thread-safe: the storm adds from many threads.</summary>
internal sealed class Tally(string part, string kind)
{
    private readonly object gate = new();
    private readonly Stopwatch clock = new();
    private readonly List<string> failures = [];

    public string Part { get; } = part;
    public string Kind { get; } = kind;
    public int Trials { get; private set; }
    public int Failed { get; private set; }
    public int Leaks { get; private set; }
    public int WrongDisk { get; private set; }
    public int UnexpectedExits { get; private set; }
    /// <summary>Fault points (syscall, index) found by the counting run; trials may cover a sample of them.</summary>
    public int FaultPoints { get; set; }
    /// <summary>Trials whose fault was really injected (strace said INJECTED, or the kill landed).</summary>
    public int Landed { get; private set; }
    /// <summary>Free text for the doc's notes column (syscall counts, exit codes seen).</summary>
    public string Note { get; set; } = "";
    private TimeSpan added;
    public TimeSpan Time => clock.Elapsed + added;
    public IReadOnlyList<string> Failures => failures;

    public IDisposable Timing()
    {
        clock.Start();
        return new Stop(clock);
    }

    /// <summary>Time measured elsewhere: a sweep trial is given to its row only once it has run.</summary>
    public void AddTime(TimeSpan time)
    {
        lock (gate)
            added += time;
    }

    public void Record(Verdict verdict, string label, bool landed)
    {
        lock (gate)
        {
            Trials++;
            if (landed)
                Landed++;
            if (verdict.Leak)
                Leaks++;
            if (verdict.WrongDisk)
                WrongDisk++;
            if (verdict.UnexpectedExit)
                UnexpectedExits++;
            if (verdict.Passed)
                return;
            Failed++;
            failures.Add($"{label}: {verdict}");
            Console.WriteLine($"FAIL: {Part} / {Kind}: {label}: {verdict}");
        }
    }

    private sealed class Stop(Stopwatch clock) : IDisposable
    {
        public void Dispose() => clock.Stop();
    }
}
