using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using BlockDiskseq.Sharing;
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

    /// <summary>
    /// Two real adds of one backend, both past their first look and waiting for the image's lock (the test holds
    /// it until both have the lock file open). The winner commits and waits for blkback, holding its loop device
    /// O_EXCL; the loser then found that claim in its sharing checks and wrote busy over a working disk (CI,
    /// reliability race "two adds of one backend", 2 of 8 trials). Under the lock it must see the commit.
    /// </summary>
    [IntegrationFact]
    public void ALoserThatWaitedForTheLockSeesTheWinnersCommit()
    {
        TestImage stalledImage = image;
        TestBackend stalled = world.Backend(51, 51712, image.Path, "w", BlkbackFlavour.Series);
        stalled.Blkback!.Stall = true;
        Process first, second;
        using (BackingLock.Acquire(world.RunDir, stalledImage.StDev, stalledImage.StIno, TimeSpan.FromSeconds(30)))
        {
            string lockFile = $"{world.RunDir}/{BlockDiskseq.Devices.DeviceNumber.FromDevT(stalledImage.StDev)}-{stalledImage.StIno:x}.lock";
            first = world.Start(["add"], world.LibxlEnvironment(stalled));
            second = world.Start(["add"], world.LibxlEnvironment(stalled));
            Assert.True(SpinWait.SpinUntil(() => HasOpen(first, lockFile) && HasOpen(second, lockFile), TimeSpan.FromSeconds(20)),
                        "both adds should wait for the image's lock");
        }
        using (first)
        using (second)
        {
            Assert.True(SpinWait.SpinUntil(() => first.HasExited || second.HasExited, TimeSpan.FromSeconds(20)), "the loser should end while the winner waits");
            (Process loser, Process winner) = first.HasExited ? (first, second) : (second, first);
            HotplugResult lost = HotplugHarness.Finish(loser);
            Assert.True(lost.ExitCode == 0, lost.ToString());
            Assert.Contains("already written by block-diskseq", world.Logged(lost));
            Assert.Null(stalled["hotplug-error"]);
            Assert.NotEqual("busy", stalled["hotplug-status"]);

            stalled.Blkback!.Stall = false;
            stalled.Write("poke", "1"); // blkback's emulator acts on backend changes
            HotplugResult won = HotplugHarness.Finish(winner);
            Assert.True(won.ExitCode == 0, won.ToString());
            Assert.Equal(1, stalledImage.BoundLoops);
        }
        stalled.Blkback!.Shutdown();
        world.Succeed(stalled, "remove");
        Assert.Equal(0, HotplugHarness.LoopsLeft(stalledImage));
    }

    private static bool HasOpen(Process process, string path)
    {
        try
        {
            return Directory.EnumerateFileSystemEntries($"/proc/{process.Id}/fd")
                .Any(fd => new FileInfo(fd).LinkTarget == path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // an fd closed while we listed
        }
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
