using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
using BlockDiskseq.Tests.Blkback;
using Xunit;
using Xunit.Abstractions;

namespace BlockDiskseq.Tests.Integration;

/// <summary>
/// libxl SIGKILLs a script that overruns (protocol.md 1.5). Killed at any instant, add must leave nothing
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
        int latestKillMs = CalibrateAddMilliseconds(image) * 3 / 2 + 1;
        var failures = new List<string>();
        int completed = 0;
        for (int trial = 0; trial < trials; trial++)
        {
            int delayMs = random.Next(latestKillMs);
            string? failure = Trial(image, 1000 + (uint)trial, delayMs, ref completed);
            if (failure is not null)
                failures.Add($"trial {trial} (kill after {delayMs} ms): {failure}");
        }
        // tests/soak/kill-add reads this line.
        output.WriteLine($"kill trials: {trials - failures.Count} passed, {failures.Count} failed "
            + $"(seed {seed}; kills within {latestKillMs} ms; {completed} adds completed before the kill)");
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

    /// <summary>One add killed after <paramref name="delayMs"/>, then the toolstack's teardown; null when nothing is left.</summary>
    private string? Trial(TestImage image, uint domid, int delayMs, ref int completed)
    {
        TestBackend be = world.Backend(domid, 51712, image.Path, "w", domid % 2 == 0 ? BlkbackFlavour.Series : BlkbackFlavour.Mainline);
        using (Process add = world.Start(["add"], world.LibxlEnvironment(be)))
        {
            Thread.Sleep(delayMs);
            try
            {
                add.Kill();
            }
            catch (InvalidOperationException)
            {
                // It had already exited: a complete add is one of the outcomes under test too.
            }
            completed += HotplugHarness.Finish(add).ExitCode == 0 ? 1 : 0;
        }
        // After a failed or killed add the toolstack tears down: blkback closes, then remove runs.
        be.Blkback!.Shutdown();
        HotplugResult remove = world.Run(be, "remove");
        be.Blkback.Dispose();
        if (remove.ExitCode != 0)
            return $"remove failed: {remove}";
        if (HotplugHarness.LoopsLeft(image) != 0)
        {
            HotplugHarness.DetachLeftovers(image); // so the next trial starts clean
            return "a loop device stayed bound to the image";
        }
        return be.Blkback.Error?.ToString();
    }
}
