using System;
using System.Linq;
using System.Threading;
using BlockDiskseq.TestSupport;

namespace BlockDiskseq.Reliability;

/// <summary>
/// Part 3's storm: 64 workers, each with a disk of its own (56 image files, 8 block devices), add and
/// remove over and over, a random share of them SIGKILLed at a random instant, while another process
/// (LoopChurn, with losetup) attaches and detaches loop devices of its own, so freed loop numbers are
/// reused under us. After every operation the worker's exported device and whatever its blkback holds
/// must be backed by its own params (checked by inode), and after every cycle nothing of it may be left.
/// </summary>
internal sealed class Storm(Lab lab, int seed)
{
    public const int Workers = 64;
    private const int BlockWorkers = 8;
    private const double AddKillShare = 0.3;
    private const double RemoveKillShare = 0.2;
    private const int RemoveAttempts = 3;

    private int operations;

    public void Run(int totalOperations, Tally tally, Tally churnTally)
    {
        using IDisposable timing = tally.Timing();
        using IDisposable churnTiming = churnTally.Timing();
        Subject[] subjects = [.. Enumerable.Range(0, Workers).Select(i => i < Workers - BlockWorkers
            ? (Subject)lab.FileSubject($"storm-{i}.img")
            : lab.BlockSubject($"storm-{i}.img"))];
        using var churn = new LoopChurn(lab.Image("churn.img"), seed, churnTally);
        var threads = Enumerable.Range(0, Workers).Select(i => new Thread(() => Worker(subjects[i], new Random(seed + i), totalOperations, tally))).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        tally.Note = $"{Workers} workers; {churn.Cycles} losetup attach/detach cycles beside them ({churn.LostRaces} attaches lost the race for a free device and were retried)";
    }

    private void Worker(Subject subject, Random random, int totalOperations, Tally tally)
    {
        while (Interlocked.Add(ref operations, 2) <= totalOperations + 1)
        {
            using Disk disk = lab.Disk(subject, random.Next(2) == 0 ? BlkbackFlavour.Series : BlkbackFlavour.Mainline);
            try
            {
                Add(disk, random, tally);
                Remove(disk, random, tally);
            }
            catch (Exception e)
            {
                // The harness's own failure: counted, and the other workers go on, so the lab's teardown still runs.
                var verdict = new Verdict();
                verdict.Fail($"the harness failed: {e.GetType().Name}: {e.Message}");
                tally.Record(verdict, $"storm operation on {disk.Subject.Parameters} ({disk.Backend.Relative})", landed: false);
            }
        }
    }

    private static void Add(Disk disk, Random random, Tally tally)
    {
        var verdict = new Verdict();
        bool kill = random.NextDouble() < AddKillShare;
        Outcome outcome = kill ? KillSoak.KillAfter(disk.Lab, disk, "add", TimeSpan.FromMilliseconds(random.Next(60))) : disk.Run("add");
        Checks.Exit(verdict, outcome, sigkillSent: kill);
        Checks.FailureReported(verdict, outcome, disk);
        Checks.AfterAdd(verdict, outcome, disk, sigkillSent: kill);
        tally.Record(verdict, $"add {disk.Subject.Parameters} ({disk.Backend.Relative}{(kill ? ", SIGKILL sent" : "")}; {outcome})", landed: outcome.DiedOfSigkill);
    }

    /// <summary>The toolstack's teardown; a killed or failed remove is run again, as a person would.</summary>
    private static void Remove(Disk disk, Random random, Tally tally)
    {
        var verdict = new Verdict();
        Checks.BlkbackHoldsParams(verdict, disk);
        disk.Blkback.Shutdown();
        bool kill = random.NextDouble() < RemoveKillShare;
        Outcome outcome = kill ? KillSoak.KillAfter(disk.Lab, disk, "remove", TimeSpan.FromMilliseconds(random.Next(30))) : disk.Run("remove");
        Checks.Exit(verdict, outcome, sigkillSent: kill);
        Checks.FailureReported(verdict, outcome, disk);
        Checks.AfterRemove(verdict, outcome, disk);
        bool landed = outcome.DiedOfSigkill;
        for (int attempt = 1; outcome.ExitCode != 0 && attempt < RemoveAttempts; attempt++)
            outcome = disk.Run("remove");
        if (outcome.ExitCode != 0)
            verdict.Fail($"remove failed {RemoveAttempts} times: {outcome}");
        Checks.AfterRemove(verdict, outcome, disk);
        if (!SpinWait.SpinUntil(() => disk.Subject.OurLoops().Count == 0, TimeSpan.FromSeconds(3)))
            verdict.LeakFound($"{string.Join(", ", disk.Subject.OurLoops())} still bound to {disk.Subject.Parameters} after remove");
        if (disk.Subject.Intact() is string broken)
            verdict.WrongDiskFound(broken);
        if (disk.Blkback.Error is Exception e)
            verdict.Fail($"the blkback emulator failed: {e.Message}");
        tally.Record(verdict, $"remove {disk.Subject.Parameters} ({disk.Backend.Relative}{(kill ? ", SIGKILL sent" : "")}; {outcome})", landed);
    }
}
