using System;
using System.Diagnostics;
using BlockDiskseq.TestSupport;
using Xunit;

namespace BlockDiskseq.Tests.Integration;

/// <summary>add while blkback refuses, hangs or the toolstack gives up: a clear failure and nothing left behind.</summary>
[Collection(LoopDeviceCollection.Name)]
public sealed class BlkbackFailureTests : IDisposable
{
    private readonly HotplugHarness world = new();

    public void Dispose() => world.Dispose();

    [IntegrationFact]
    public void DiskseqMismatchFailsTheAdd()
    {
        TestImage image = world.Image();
        TestBackend be = world.Backend(20, 51712, image.Path);
        be.Blkback!.ReportDiskseqMismatch = true;

        HotplugResult add = world.Run(be, "add");

        AssertFailedCleanly(add, be, image, $"blkback failed to open the device: error/{be.Relative}/error: 19 creating vbd structure");
    }

    /// <summary>The lab's refusal hook: the series blkback compares the written diskseq with the device's.</summary>
    [IntegrationFact]
    public void TestHookDiskseqOffsetMakesASeriesBlkbackRefuse()
    {
        TestImage image = world.Image();
        TestBackend be = world.Backend(25, 51712, image.Path);
        var env = world.LibxlEnvironment(be);
        env[BlockDiskseq.Cli.TestHooks.GateVariable] = BlockDiskseq.Cli.TestHooks.GateValue;
        env[BlockDiskseq.Cli.TestHooks.DiskseqOffsetVariable] = "1";

        HotplugResult add = world.Run(["add"], env);

        Assert.True(add.ExitCode == 1, add.ToString());
        Assert.Contains("19 creating vbd structure (a diskseq-checking blkback: the device it opened did not carry the diskseq we wrote)",
            be["hotplug-error"]);
        Assert.Contains(world.HotplugLogLines(), line => line.Contains("test hook BLOCK_DISKSEQ_TEST_DISKSEQ_OFFSET: writing diskseq"));
        Assert.Null(be["physical-device"]);
        Assert.Equal(0, HotplugHarness.LoopsLeft(image));
    }

    [IntegrationTheory]
    [InlineData(BlkbackFlavour.Series)]
    [InlineData(BlkbackFlavour.Mainline)]
    public void BackendClosingDuringTheWaitFailsTheAdd(BlkbackFlavour flavour)
    {
        (TestImage image, TestBackend be) = world.StalledBackend(21, flavour);

        HotplugResult add = world.RunWhileWaiting(be, ["add"], () => be.Write("state", "5"));

        AssertFailedCleanly(add, be, image, "backend state became 5 before blkback opened the device");
    }

    /// <summary>
    /// blkback fails the way xenbus_dev_fatal does (docs/protocol-facts.md §5): the error node, then Closing. The
    /// add watches only the backend directory; the Closing state makes it read the error node, whose line it reports.
    /// </summary>
    [IntegrationFact]
    public void ErrorNodeDuringTheWaitFailsTheAdd()
    {
        (TestImage image, TestBackend be) = world.StalledBackend(22);

        HotplugResult add = world.RunWhileWaiting(be, ["add"], () =>
        {
            world.Server.Write(be.ErrorNode, "12 allocating backend\nforged line");
            be.Write("state", "5");
        });

        AssertFailedCleanly(add, be, image, $"blkback failed to open the device: error/{be.Relative}/error: 12 allocating backend\\nforged line");
    }

    [IntegrationFact]
    public void AStaleErrorNodeFromAnEarlierAttemptDoesNotFailTheAdd()
    {
        TestImage image = world.Image();
        TestBackend be = world.Backend(23, 51712, image.Path);
        world.Server.Write(be.ErrorNode, "19 creating vbd structure");

        HotplugResult add = world.Run(be, "add");

        Assert.True(add.ExitCode == 0, add.ToString());
        be.Blkback!.Shutdown();
        world.Succeed(be, "remove");
        Assert.Equal(0, HotplugHarness.LoopsLeft(image));
    }

    [IntegrationTheory]
    [InlineData(BlkbackFlavour.Series, "--timeout")]
    [InlineData(BlkbackFlavour.Mainline, "--timeout")]
    [InlineData(BlkbackFlavour.Series, "BLOCK_DISKSEQ_TIMEOUT")]
    public void DeadlinePassesThenTheAddFailsAndLeavesNothing(BlkbackFlavour flavour, string how)
    {
        (TestImage image, TestBackend be) = world.StalledBackend(24, flavour);
        var env = world.LibxlEnvironment(be);
        string[] args = ["add"];
        if (how == "--timeout")
            args = ["add", "--timeout", "0.5"];
        else
            env["BLOCK_DISKSEQ_TIMEOUT"] = "0.5";
        var clock = Stopwatch.StartNew();

        HotplugResult add = world.Run(args, env);

        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.5), $"failed after {clock.Elapsed}, before its deadline");
        AssertFailedCleanly(add, be, image, "blkback did not open 7:");
        Assert.Contains("within 0.5 s", be["hotplug-error"]);
    }

    /// <summary>Failed with the error, left nothing, and libxl's remove afterwards has nothing to do.</summary>
    private void AssertFailedCleanly(HotplugResult result, TestBackend be, TestImage image, string error)
    {
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains(error, be["hotplug-error"]);
        Assert.Equal("error", be["hotplug-status"]);
        Assert.Null(be["physical-device"]);
        Assert.Null(be["diskseq"]);
        Assert.Null(be["block-diskseq/layers"]);
        Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)); // logged once
        Assert.Equal(0, HotplugHarness.LoopsLeft(image));
        be.Blkback!.Shutdown();
        HotplugResult remove = world.Run(be, "remove");
        Assert.True(remove.ExitCode == 0, remove.ToString());
        Assert.Contains("nothing to remove", world.HotplugLogLines()[^1]);
    }
}
