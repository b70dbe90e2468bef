using System;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
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
    /// <summary>An add takes about 10-30 ms here including process start; kills spread a bit beyond that.</summary>
    private const int LatestKillMs = 40;

    private readonly HotplugHarness world = new();
    private readonly ITestOutputHelper output;

    public KillTests(ITestOutputHelper output) => this.output = output;

    public void Dispose() => world.Dispose();

    [IntegrationFact]
    public void KilledAtRandomInstantsLeavesNoLoopDevice()
    {
        int trials = int.TryParse(Environment.GetEnvironmentVariable(TrialsVariable), CultureInfo.InvariantCulture, out int n) ? n : DefaultTrials;
        int seed = Environment.TickCount;
        output.WriteLine($"{trials} trials, seed {seed}");
        var random = new Random(seed);
        TestImage image = world.Image();
        int completed = 0;
        for (int trial = 0; trial < trials; trial++)
        {
            TestBackend be = world.Backend(1000 + (uint)trial, 51712, image.Path, "w",
                trial % 2 == 0 ? Blkback.BlkbackFlavour.Series : Blkback.BlkbackFlavour.Mainline);
            int delayMs = random.Next(LatestKillMs);
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
                HotplugResult result = HotplugHarness.Finish(add);
                completed += result.ExitCode == 0 ? 1 : 0;
            }
            // The toolstack's teardown after a failed or killed add: blkback closes, then remove.
            be.Blkback!.Shutdown();
            HotplugResult remove = world.Run(be, "remove");
            Assert.True(remove.ExitCode == 0, $"trial {trial} (kill after {delayMs} ms): {remove}");
            Assert.True(HotplugHarness.LoopsLeft(image) == 0, $"trial {trial} (kill after {delayMs} ms) left a loop device bound");
            Assert.Null(be.Blkback.Error);
            be.Blkback.Dispose();
        }
        output.WriteLine($"{completed} of {trials} adds completed before the kill");
    }
}
