using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;

namespace BlockDiskseq.Reliability;

/// <summary>
/// Part 4: SIGKILL at a random instant of add or remove (libxl kills a script that overruns). Instants are
/// spread over 1.2 times the operation's median unkilled duration, so most kills land inside it; a kill
/// counts as landed only if the process died of it (an operation that exited first is checked all the same,
/// but not counted as a landed kill). After each: the exit, Xenstore, the devices, then the toolstack's teardown.
/// </summary>
internal sealed class KillSoak(Lab lab, Random random)
{
    private const int CalibrationRuns = 5;

    public void Run(Subject subject, string verb, int trials, Tally tally)
    {
        using IDisposable timing = tally.Timing();
        double medianMs = Calibrate(subject, verb);
        tally.Note = $"median unkilled {verb}: {medianMs:F1} ms (process start included)";
        for (int trial = 0; trial < trials; trial++)
            Trial(subject, verb, random.NextDouble() * medianMs * 1.2, tally);
    }

    private double Calibrate(Subject subject, string verb)
    {
        var times = new List<double>();
        for (int run = 0; run < CalibrationRuns; run++)
        {
            using Disk disk = lab.DiskFor(subject, verb, random);
            var clock = Stopwatch.StartNew();
            Outcome outcome = disk.Run(verb);
            times.Add(clock.Elapsed.TotalMilliseconds);
            var verdict = new Verdict();
            Checks.TeardownLeavesNothing(verdict, disk);
            if (outcome.ExitCode != 0 || !verdict.Passed)
                throw new InvalidOperationException($"unkilled {verb} of {subject.Parameters}: {outcome}; {verdict}");
        }
        return times.OrderBy(t => t).ElementAt(times.Count / 2);
    }

    private void Trial(Subject subject, string verb, double delayMs, Tally tally)
    {
        var verdict = new Verdict();
        using Disk disk = lab.DiskFor(subject, verb, random);
        Outcome outcome = KillAfter(lab, disk, verb, TimeSpan.FromMilliseconds(delayMs));
        bool landed = outcome.DiedOfSigkill;
        Checks.Exit(verdict, outcome, sigkillSent: true);
        Checks.FailureReported(verdict, outcome, disk);
        if (verb == "add")
            Checks.AfterAdd(verdict, outcome, disk, sigkillSent: true);
        else
            Checks.AfterRemove(verdict, outcome, disk);
        Checks.TeardownLeavesNothing(verdict, disk);
        tally.Record(verdict, $"{verb} {subject.Parameters} killed after {delayMs:F1} ms ({outcome.ExitCode})", landed);
    }

    /// <summary>Starts the verb and SIGKILLs it after the delay unless it has exited by then.</summary>
    public static Outcome KillAfter(Lab lab, Disk disk, string verb, TimeSpan delay)
    {
        using Process process = lab.Start(disk.Backend, verb);
        if (!process.WaitForExit(delay))
            process.Kill();
        return Outcome.Finish(process);
    }

}
