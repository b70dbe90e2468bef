using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using BlockDiskseq.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace BlockDiskseq.Tests.Integration;

/// <summary>
/// libxl SIGKILLs a script that overruns (docs/protocol-facts.md §1). Killed at any instant, add must leave nothing
/// that outlives the teardown: its loop device is delete-on-close and our fd is the only reference until
/// blkback holds it, and blkback's reference ends with the device. tests/soak/kill-add runs many more trials.
/// </summary>
[Collection(LoopDeviceCollection.Name)]
public sealed class KillTests : IDisposable
{
    internal const string TrialsVariable = "BLOCK_DISKSEQ_KILL_TRIALS";
    private const int DefaultTrials = 30;
    /// <summary>Unkilled adds timed first, so kills spread over a whole add on this machine at its current load.</summary>
    private const int CalibrationRuns = 3;

    private readonly HotplugHarness world = new();
    private readonly ITestOutputHelper output;

    public KillTests(ITestOutputHelper output) => this.output = output;

    public void Dispose() => world.Dispose();

    [IntegrationFact]
    public void KilledAtRandomInstantsLeavesNoLoopDevice()
    {
        int trials = int.TryParse(Environment.GetEnvironmentVariable(TrialsVariable), CultureInfo.InvariantCulture, out int n) ? n : DefaultTrials;
        int seed = Environment.TickCount;
        var random = new Random(seed);
        TestImage image = world.Image();
        long fastestAddMs = CalibrateAddMilliseconds(image);
        var failures = new List<string>();
        int completed = 0;
        for (int trial = 0; trial < trials; trial++)
        {
            // Kills spread over 1.5 times the fastest complete add seen so far (the first runs may be cold).
            int delayMs = random.Next((int)(fastestAddMs * 3 / 2) + 1);
            (string? failure, long? addMs) = Trial(image, 1000 + (uint)trial, delayMs);
            if (failure is not null)
                failures.Add($"trial {trial} (kill after {delayMs} ms): {failure}");
            if (addMs is long ms)
            {
                completed++;
                fastestAddMs = Math.Min(fastestAddMs, ms);
            }
        }
        // tests/soak/kill-add reads this line.
        output.WriteLine($"kill trials: {trials - failures.Count} passed, {failures.Count} failed "
            + $"(seed {seed}; fastest add {fastestAddMs} ms; {completed} adds completed before the kill)");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>The fastest of a few complete adds (process start included), in milliseconds: the first run may be cold.</summary>
    private int CalibrateAddMilliseconds(TestImage image)
    {
        long fastest = long.MaxValue;
        for (int run = 0; run < CalibrationRuns; run++)
        {
            TestBackend be = world.Backend(900 + (uint)run, 51712, image.Path);
            var clock = Stopwatch.StartNew();
            HotplugResult add = world.Run(be, "add");
            fastest = Math.Min(fastest, clock.ElapsedMilliseconds);
            Assert.True(add.ExitCode == 0, add.ToString());
            be.Blkback!.Shutdown();
            world.Succeed(be, "remove");
        }
        return (int)fastest;
    }

    /// <summary>
    /// One add killed after <paramref name="delayMs"/>, then the toolstack's teardown. Returns what was left
    /// (null: nothing) and, if the add finished before the kill, how long it took.
    /// </summary>
    private (string? Failure, long? AddMs) Trial(TestImage image, uint domid, int delayMs)
    {
        TestBackend be = world.Backend(domid, 51712, image.Path, "w", domid % 2 == 0 ? BlkbackFlavour.Series : BlkbackFlavour.Mainline);
        long? addMs = null;
        var clock = Stopwatch.StartNew();
        using (Process add = world.Start(["add"], world.LibxlEnvironment(be)))
        {
            // An add that ends before its kill is one of the outcomes under test too.
            bool exited = add.WaitForExit(delayMs);
            long elapsed = clock.ElapsedMilliseconds;
            if (!exited)
                add.Kill();
            if (HotplugHarness.Finish(add).ExitCode == 0 && exited)
                addMs = elapsed;
        }
        // After a failed or killed add the toolstack tears down: blkback closes, then remove runs.
        be.Blkback!.Shutdown();
        HotplugResult remove = world.Run(be, "remove");
        be.Blkback.Dispose();
        if (remove.ExitCode != 0)
            return ($"remove failed: {remove}", addMs);
        if (HotplugHarness.LoopsLeft(image) != 0)
        {
            HotplugHarness.DetachLeftovers(image); // so the next trial starts clean
            return ("a loop device stayed bound to the image", addMs);
        }
        return (be.Blkback.Error?.ToString(), addMs);
    }
}
