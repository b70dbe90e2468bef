using System;
using System.Threading;
using BlockDiskseq.TestSupport;
using Xunit;

namespace BlockDiskseq.Tests.Integration;

/// <summary>
/// Found by the reliability suite's two-adds race (tests/Reliability, docs/reliability.md): when another add
/// of the same backend exported its device after this add first looked, this add failed and wrote
/// hotplug-status = error over the winner's "connected", marking a working disk failed. It now answers as
/// for a backend already added: exit 0, nothing written, its own device dropped. Each test plays the winner
/// at one point of the loser's run, from the test server's request hook (which runs before the request).
/// </summary>
[Collection(LoopDeviceCollection.Name)]
public sealed class ConcurrentAddTests : IDisposable
{
    private const string WinnerDevice = "7:fff";
    private const string WinnerDiskseq = "abc";

    private readonly HotplugHarness world = new();
    private readonly TestImage image;
    private readonly TestBackend be;

    public ConcurrentAddTests()
    {
        image = world.Image();
        be = world.Backend(50, 51712, image.Path, blkback: null);
        be.Write("opened", "0");
    }

    public void Dispose() => world.Dispose();

    [IntegrationFact]
    public void WinnerCommitsBeforeOurTransaction()
    {
        using IDisposable hook = PlayWinnerOnFirst(request => request.StartsWith("TRANSACTION_START", StringComparison.Ordinal), opened: false);

        AssertLoserAnswersAsAlreadyAdded(world.Run(be, "add"));
    }

    [IntegrationFact]
    public void BlkbackHoldsTheWinnersDeviceBeforeWeReadOpened()
    {
        using IDisposable hook = PlayWinnerOnFirst(request => request.StartsWith("READ", StringComparison.Ordinal) && request.EndsWith("/opened", StringComparison.Ordinal), opened: true);

        AssertLoserAnswersAsAlreadyAdded(world.Run(be, "add"));
    }

    /// <summary>What the winning add commits (and, once blkback holds its device, blkback's opened = 1).</summary>
    private IDisposable PlayWinnerOnFirst(Func<string, bool> trigger, bool opened)
    {
        int played = 0;
        return world.Server.RecordRequests(request =>
        {
            if (!trigger(request) || Interlocked.Exchange(ref played, 1) != 0)
                return;
            be.Write("diskseq", WinnerDiskseq);
            be.Write("physical-device", WinnerDevice);
            be.Write("block-diskseq/layers", $"loop {WinnerDevice} {WinnerDiskseq}");
            be.Write("hotplug-status", "connected");
            if (opened)
                be.Write("opened", "1");
        });
    }

    private void AssertLoserAnswersAsAlreadyAdded(HotplugResult add)
    {
        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.Contains("already written by block-diskseq", world.Logged(add));
        Assert.Equal("connected", be["hotplug-status"]);
        Assert.Null(be["hotplug-error"]);
        Assert.Equal(WinnerDevice, be["physical-device"]);
        Assert.Equal($"loop {WinnerDevice} {WinnerDiskseq}", be["block-diskseq/layers"]);
        Assert.Equal(0, HotplugHarness.LoopsLeft(image));
    }
}
