using System;
using System.Collections.Generic;

namespace BlockDiskseq.Reliability;

/// <summary>The suite's parts and their sizes: CI-sized (inside ./run-tests) or long (docs/reliability.md).</summary>
internal static class Parts
{
    /// <summary>Sweep trials per operation in the CI-sized run (a random sample; the long run does every one).</summary>
    private const int CiSweepSample = 40;

    public static List<Tally> Sweep(Lab lab, Random random, bool isLong)
    {
        var sweep = new FaultSweep(lab, random);
        Subject file = lab.FileSubject("sweep-file.img");
        Subject block = lab.BlockSubject("sweep-block.img");
        var tallies = new List<Tally>();
        foreach (SweepScenario scenario in new SweepScenario[]
        {
            new("add, image file", file, "add"),
            new("remove, image file", file, "remove"),
            new("add, block device", block, "add"),
            new("remove, block device", block, "remove"),
        })
        {
            var tally = new Tally("1 syscall faults", scenario.Name);
            var beforeMain = new Tally("1 syscall faults", scenario.Name + ", before Main");
            sweep.Run(scenario, isLong ? null : CiSweepSample, tally, beforeMain);
            tallies.Add(tally);
            tallies.Add(beforeMain);
        }
        return tallies;
    }

    /// <summary>Repetitions of each race per subject (image file, block device).</summary>
    private const int CiRaceRuns = 4;
    private const int LongRaceRuns = 50;
    /// <summary>Storm operations (each add and each remove is one).</summary>
    private const int CiStormOperations = 640;
    private const int LongStormOperations = 10_000;
    /// <summary>Kill-soak trials per operation (add, remove) and subject (file, block device).</summary>
    private const int CiSoakTrials = 25;
    private const int LongSoakTrials = 500;

    public static List<Tally> Concurrency(Lab lab, Random random, bool isLong)
    {
        var races = new Concurrency(lab, random);
        Subject[] subjects = [lab.FileSubject("race-file.img"), lab.BlockSubject("race-block.img")];
        var tallies = new List<Tally>();
        foreach ((string name, Action<Subject, Tally> race) in new (string, Action<Subject, Tally>)[]
        {
            ("remove while add waits for blkback", races.RemoveWhileAddWaits),
            ("two adds of one backend", races.TwoAdds),
            ("remove against remove", races.TwoRemoves),
        })
        {
            var tally = new Tally("3 concurrency", name);
            using (tally.Timing())
            {
                for (int run = 0; run < (isLong ? LongRaceRuns : CiRaceRuns); run++)
                    foreach (Subject subject in subjects)
                        race(subject, tally);
            }
            tallies.Add(tally);
        }
        return tallies;
    }

    public static List<Tally> Storm(Lab lab, Random random, bool isLong)
    {
        var tally = new Tally("3 concurrency", "storm: add/remove with SIGKILLs");
        var churn = new Tally("3 concurrency", "storm: losetup churn beside it");
        new Storm(lab, random.Next()).Run(isLong ? LongStormOperations : CiStormOperations, tally, churn);
        return [tally, churn];
    }

    public static List<Tally> Soak(Lab lab, Random random, bool isLong)
    {
        var soak = new KillSoak(lab, random);
        Subject[] subjects = [lab.FileSubject("soak-file.img"), lab.BlockSubject("soak-block.img")];
        var tallies = new List<Tally>();
        foreach (Subject subject in subjects)
            foreach (string verb in new[] { "add", "remove" })
            {
                var tally = new Tally("4 kill soak", $"{verb}, {(subject is FileSubject ? "image file" : "block device")}");
                soak.Run(subject, verb, isLong ? LongSoakTrials : CiSoakTrials, tally);
                tallies.Add(tally);
            }
        return tallies;
    }
}
