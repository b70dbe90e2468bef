using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using BlockDiskseq.TestSupport;

namespace BlockDiskseq.Reliability;

/// <summary>
/// Part 3's three races, each repeated over image files and block devices and both blkback flavours:
/// remove while add waits for blkback, two adds of one backend, and two removes of one backend.
/// </summary>
internal sealed class Concurrency(Lab lab, Random random)
{
    /// <summary>add's wait for blkback in the first race: the add must give up by itself, soon.</summary>
    private static readonly Dictionary<string, string?> ShortWait = new() { ["BLOCK_DISKSEQ_TIMEOUT"] = "1" };
    private static readonly TimeSpan ExportLimit = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A person (or a toolstack that gave up) runs remove while add waits for a blkback that never opens the
    /// device. remove must succeed; add must then fail by itself (its device went with remove's detach, or
    /// goes at its exit) and leave nothing behind.
    /// </summary>
    public void RemoveWhileAddWaits(Subject subject, Tally tally)
    {
        var verdict = new Verdict();
        using Disk disk = lab.Disk(subject, Flavour());
        disk.Blkback.Stall = true;
        using Process add = lab.Start(disk.Backend, "add", environment: ShortWait);
        if (!SpinWait.SpinUntil(() => disk.PhysicalDevice is not null || add.HasExited, ExportLimit) || disk.PhysicalDevice is null)
            verdict.Fail($"add wrote no physical-device within {ExportLimit.TotalSeconds} s ({(add.HasExited ? "it exited " + add.ExitCode : "still running")})");
        Outcome remove = disk.Run("remove");
        Outcome added = Outcome.Finish(add);
        Checks.Exit(verdict, remove, sigkillSent: false);
        Checks.Exit(verdict, added, sigkillSent: false);
        if (remove.ExitCode != 0)
            verdict.Fail($"remove during the wait failed: {remove}");
        if (added.ExitCode != 1)
            verdict.Fail($"add whose device was removed under it did not fail: {added}");
        Checks.FailureReported(verdict, added, disk);
        Checks.AfterAdd(verdict, added, disk, sigkillSent: false);
        disk.Blkback.Stall = false;
        Checks.TeardownLeavesNothing(verdict, disk);
        tally.Record(verdict, $"remove while add waits, {subject.Parameters} ({disk.Backend.Relative})", landed: true);
    }

    /// <summary>Two adds of one backend at once: one device exported, held and backed by params; no second device.</summary>
    public void TwoAdds(Subject subject, Tally tally)
    {
        var verdict = new Verdict();
        using Disk disk = lab.Disk(subject, Flavour());
        Outcome[] adds = Both(() => disk.Run("add"), () => disk.Run("add"));
        foreach (Outcome add in adds)
            Checks.Exit(verdict, add, sigkillSent: false);
        if (adds[0].ExitCode != 0 && adds[1].ExitCode != 0)
            verdict.Fail($"neither add succeeded: {adds[0]} / {adds[1]}");
        Outcome winner = adds[0].ExitCode == 0 ? adds[0] : adds[1];
        Checks.AfterAdd(verdict, winner, disk, sigkillSent: false);
        // The loser's failure must not mark the winner's working disk as failed.
        if (disk.PhysicalDevice is not null && disk.Backend["hotplug-status"] != "connected")
            verdict.Fail($"the disk is exported and held, but hotplug-status is '{disk.Backend["hotplug-status"]}' "
                + $"(hotplug-error '{disk.Backend["hotplug-error"]}'): {adds[0]} / {adds[1]}");
        Checks.TeardownLeavesNothing(verdict, disk);
        tally.Record(verdict, $"two adds, {subject.Parameters} ({disk.Backend.Relative}; exits {adds[0].ExitCode}, {adds[1].ExitCode})", landed: true);
    }

    /// <summary>Two removes of one added disk at once (blkback closed): both succeed, nothing is left.</summary>
    public void TwoRemoves(Subject subject, Tally tally)
    {
        var verdict = new Verdict();
        using Disk disk = lab.Disk(subject, Flavour());
        Outcome add = disk.Run("add");
        if (add.ExitCode != 0)
            verdict.Fail($"the add before the removes failed: {add}");
        disk.Blkback.Shutdown();
        Outcome[] removes = Both(() => disk.Run("remove"), () => disk.Run("remove"));
        foreach (Outcome remove in removes)
        {
            Checks.Exit(verdict, remove, sigkillSent: false);
            if (remove.ExitCode != 0)
                verdict.Fail($"a remove racing another failed: {remove}");
            Checks.AfterRemove(verdict, remove, disk);
        }
        Checks.TeardownLeavesNothing(verdict, disk);
        tally.Record(verdict, $"two removes, {subject.Parameters} ({disk.Backend.Relative})", landed: true);
    }

    private static Outcome[] Both(Func<Outcome> first, Func<Outcome> second)
    {
        Task<Outcome> a = Task.Run(first);
        Task<Outcome> b = Task.Run(second);
        return [a.Result, b.Result];
    }

    private BlkbackFlavour Flavour() => random.Next(2) == 0 ? BlkbackFlavour.Series : BlkbackFlavour.Mainline;
}
