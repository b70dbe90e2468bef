using System;
using System.Diagnostics;
using System.Linq;
using System.Text;
using System.Threading;
using BlockDiskseq.Devices;
using BlockDiskseq.TestSupport;
using TestXenstored;
using Xunit;

namespace BlockDiskseq.Tests.Integration;

/// <summary>
/// Xenstore failing under add and remove, injected by the test server: lost replies, dropped connections, a dead
/// daemon, EAGAIN storms, error replies and floods of events. Every outcome is exit 0 or 1 (never 134), a
/// hotplug-error and hotplug-status or a log line saying why they could not be written, nodes that all point at
/// a device we hold or none at all, and no loop device left behind.
/// </summary>
[Collection(LoopDeviceCollection.Name)]
public sealed class XenstoreFaultTests : IDisposable
{
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(20);
    private readonly HotplugHarness world = new();

    public void Dispose() => world.Dispose();

    /// <summary>Issue 12 item 4: ~4 KiB of params naming a missing file made hotplug-error E2BIG and left hotplug-status unwritten.</summary>
    [IntegrationFact]
    public void AnErrorNamingAHugePathIsCutToFitAndTheStatusIsWritten()
    {
        var path = new StringBuilder("/no-such-dir-block-diskseq");
        while (path.Length < 4000)
            path.Append("/abcdefghijklmnopqrstuvwxyz");
        TestImage image = world.Image();
        TestBackend be = world.Backend(60, 51712, path.ToString());

        HotplugResult add = world.Run(be, "add");

        Assert.True(add.ExitCode == 1, add.ToString());
        Assert.Equal("error", be["hotplug-status"]);
        string error = be["hotplug-error"]!;
        Assert.StartsWith("open on /no-such-dir-block-diskseq/abc", error);
        Assert.Contains("[...]", error);
        Assert.EndsWith("xyz: No such file or directory (ENOENT)", error);
        Assert.True(Encoding.UTF8.GetByteCount(error) <= 1024, $"{error.Length} bytes");
        Assert.DoesNotContain("could not write", world.Logged(add));
        Assert.Equal(0, HotplugHarness.LoopsLeft(image));
    }

    /// <summary>hotplug-status is what libxl waits for: written even when hotplug-error cannot be.</summary>
    [IntegrationTheory]
    [InlineData("EACCES")]
    [InlineData("E2BIG")]
    [InlineData("ENOSPC")]
    [InlineData("EQUOTA")]
    public void TheStatusIsWrittenWhenTheErrorNodeIsRefused(string reply)
    {
        TestBackend be = world.Backend(61, 51712, "/dev/no-such-disk-block-diskseq");
        world.Server.ReplyErrorOn(XsdType.Write, reply, count: 1, argumentSuffix: "/hotplug-error");

        HotplugResult add = world.Run(be, "add");

        Assert.True(add.ExitCode == 1, add.ToString());
        Assert.Equal("error", be["hotplug-status"]);
        Assert.Null(be["hotplug-error"]);
        Assert.Contains($"could not write hotplug-error to {be.Relative}: xs_write {be.Relative}/hotplug-error: ", world.Logged(add));
        Assert.Contains(reply == "EQUOTA" ? "(EINVAL)" : $"({reply})", world.Logged(add)); // libxenstore knows no EQUOTA
    }

    /// <summary>Every write refused (a quota used up): neither node can be written, and the log says so.</summary>
    [IntegrationFact]
    public void WhenNoNodeCanBeWrittenTheLogSaysSo()
    {
        TestImage image = world.Image();
        TestBackend be = world.Backend(62, 51712, image.Path);
        world.Server.ReplyErrorOn(XsdType.Write, "ENOSPC", count: 1000);

        HotplugResult add = world.Run(be, "add");

        Assert.True(add.ExitCode == 1, add.ToString());
        Assert.Contains("(ENOSPC)", be["hotplug-error"] ?? world.Logged(add));
        Assert.Contains($"could not write hotplug-status = error to {be.Relative}: xs_write {be.Relative}/hotplug-status: No space left on device (ENOSPC)", world.Logged(add));
        AssertNothingExported(be, image);
    }

    /// <summary>An error reply inside the transaction: the add fails with it, and nothing was committed.</summary>
    [IntegrationTheory]
    [InlineData("ENOSPC", "No space left on device (ENOSPC)")]
    [InlineData("EACCES", "Permission denied (EACCES)")]
    [InlineData("E2BIG", "Argument list too long (E2BIG)")]
    [InlineData("EQUOTA", "Invalid argument (EINVAL)")]
    public void AnErrorReplyInTheTransactionFailsTheAddCleanly(string reply, string shown)
    {
        TestImage image = world.Image();
        TestBackend be = world.Backend(63, 51712, image.Path);
        world.Server.ReplyErrorOn(XsdType.Write, reply, count: 1, argumentSuffix: "/physical-device");

        HotplugResult add = world.Run(be, "add");

        Assert.True(add.ExitCode == 1, add.ToString());
        Assert.Equal($"xs_write {be.Relative}/physical-device: {shown}", be["hotplug-error"]);
        Assert.Equal("error", be["hotplug-status"]);
        AssertNothingExported(be, image);
        be.Blkback!.Shutdown();
        Assert.Contains("nothing to remove", world.Logged(world.Succeed(be, "remove")));
    }

    /// <summary>The commit's reply lost after the commit was applied: the device stays, and the add succeeds.</summary>
    [IntegrationTheory]
    [InlineData(BlkbackFlavour.Series)]
    [InlineData(BlkbackFlavour.Mainline)]
    public void ACommitAppliedThenDroppedIsFoundCommittedAndKept(BlkbackFlavour flavour)
    {
        TestImage image = world.Image();
        TestBackend be = world.Backend(64, 51712, image.Path, "w", flavour);
        world.Server.DropConnectionAfterNext(XsdType.TransactionEnd);

        HotplugResult add = world.Run(be, "add");

        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.Contains("had committed before the connection dropped: going on", world.Logged(add));
        AssertExportedAndHeld(be, image);
        be.Blkback!.Shutdown();
        world.Succeed(be, "remove");
        Assert.Equal(0, HotplugHarness.LoopsLeft(image));
    }

    /// <summary>
    /// The connection dropped before the transaction was applied (at its start, or before the commit arrived):
    /// nothing committed, so add writes it again. (Before, a drop at TRANSACTION_START failed the add.)
    /// </summary>
    [IntegrationTheory]
    [InlineData(XsdType.TransactionStart)]
    [InlineData(XsdType.TransactionEnd)]
    public void ATransactionDroppedBeforeItAppliedIsWrittenAgain(XsdType droppedOn)
    {
        TestImage image = world.Image();
        TestBackend be = world.Backend(65, 51712, image.Path);
        world.Server.DropConnectionOnNext(droppedOn);

        HotplugResult add = world.Run(be, "add");

        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.Contains("had not committed when the connection dropped: writing it again", world.Logged(add));
        AssertExportedAndHeld(be, image);
    }

    /// <summary>Issue 12 item 5: xenstored dying while add waits is noticed at once (not at the deadline), and add tears down.</summary>
    [IntegrationTheory]
    [InlineData(BlkbackFlavour.Series)]
    [InlineData(BlkbackFlavour.Mainline)]
    public void XenstoredDyingDuringTheWaitFailsTheAddAndTearsDown(BlkbackFlavour flavour)
    {
        (TestImage image, TestBackend be) = world.StalledBackend(66, flavour);

        HotplugResult add = world.RunWhileWaiting(be, ["add", "--timeout", "30"], () => world.Server.Dispose());

        Assert.True(add.ExitCode == 1, add.ToString());
        foreach (string said in (string[])["Xenstore went away while waiting for blkback: xs_", "connecting again: xs_open",
                     $"could not write hotplug-error to {be.Relative}: Xenstore went away",
                     $"could not write hotplug-status = error to {be.Relative}: Xenstore went away"])
            Assert.True(world.Logged(add).Contains(said, StringComparison.Ordinal), $"no '{said}' in {add}");
        Assert.DoesNotContain("blkback did not open", world.Logged(add));
        Assert.Equal(0, HotplugHarness.LoopsLeft(image));
    }

    /// <summary>The daemon drops only our connection during the wait: add connects again and goes on waiting.</summary>
    [IntegrationFact]
    public void AConnectionDroppedDuringTheWaitIsReplacedAndTheAddGoesOn()
    {
        (TestImage image, TestBackend be) = world.StalledBackend(67);
        long dropsBefore = 0;

        HotplugResult add = world.RunWhileWaiting(be, ["add"], () =>
        {
            dropsBefore = world.Server.RequestCount;
            world.Server.DropConnectionOnNext(XsdType.Read); // the wait's liveness read, within a second
            Assert.True(SpinWait.SpinUntil(() => world.Server.RequestCount > dropsBefore + 2, WaitLimit), "add never read again");
            be.Blkback!.Stall = false;
            be.Write("poke", "1"); // blkback's emulator acts on backend changes
        });

        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.Contains("lost the connection to Xenstore while waiting for blkback", world.Logged(add));
        Assert.Contains("connected to Xenstore again", world.Logged(add));
        AssertExportedAndHeld(be, image);
    }

    /// <summary>EAGAIN on every second commit: adds retry their transaction and all succeed.</summary>
    [IntegrationFact]
    public void EagainOnEverySecondCommitIsRetried()
    {
        const int Disks = 4;
        world.Server.FailEveryNthCommit(2);
        for (uint i = 0; i < Disks; i++)
        {
            TestImage image = world.Image($"disk{i}.img");
            TestBackend be = world.Backend(70 + i, 51712, image.Path);
            world.Succeed(be, "add");
            AssertExportedAndHeld(be, image);
        }
    }

    /// <summary>EAGAIN on every commit: the add gives up after its bounded retries, cleanly.</summary>
    [IntegrationFact]
    public void EagainOnEveryCommitFailsTheAddAfterBoundedRetries()
    {
        TestImage image = world.Image();
        TestBackend be = world.Backend(75, 51712, image.Path);
        world.Server.FailEveryNthCommit(1);

        HotplugResult add = world.Run(be, "add");

        Assert.True(add.ExitCode == 1, add.ToString());
        Assert.Equal("xs_transaction_end: Resource temporarily unavailable (EAGAIN) after 16 attempts", be["hotplug-error"]);
        Assert.Equal("error", be["hotplug-status"]);
        AssertNothingExported(be, image);
    }

    /// <summary>
    /// 10,000 watch events on nodes the wait does not judge, while blkback is slow: they cost the add no reads
    /// (each event is matched by name), and it succeeds once blkback opens.
    /// </summary>
    [IntegrationFact]
    public void TenThousandEventsOnUnrelatedNodesCostNoReads()
    {
        const int Events = 10_000;
        (TestImage image, TestBackend be) = world.StalledBackend(76);
        int reads = 0;
        using IDisposable log = world.Server.RecordRequests(request =>
        {
            if (request.StartsWith("READ ", StringComparison.Ordinal))
                Interlocked.Increment(ref reads);
        });
        int readsBefore = 0;

        HotplugResult add = world.RunWhileWaiting(be, ["add"], () =>
        {
            readsBefore = Volatile.Read(ref reads);
            for (int i = 0; i < Events; i++)
                be.Write($"unrelated/{i % 64}", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            be.Blkback!.Stall = false;
            be.Write("poke", "1");
        });

        Assert.True(add.ExitCode == 0, add.ToString());
        AssertExportedAndHeld(be, image);
        // opened (blkback's write) and the liveness reads of a wait that lasted a few seconds at most
        Assert.InRange(Volatile.Read(ref reads) - readsBefore, 1, 40);
    }

    /// <summary>
    /// Issue 12 item 9: events that keep coming faster than add can take them (bursts of 1,000 on an unrelated
    /// node) cannot stretch the wait: add gives up at its deadline while the flood still runs. The flood stops
    /// on its own only after FloodLimit, far past the 1 s deadline; an add that drained every event first
    /// outlives it.
    /// </summary>
    [IntegrationFact]
    public void AnEndlessFloodOfEventsDoesNotStretchTheDeadline()
    {
        TimeSpan floodLimit = TimeSpan.FromSeconds(8);
        (TestImage image, TestBackend be) = world.StalledBackend(77);
        using Process process = world.StartWaiting(be, ["add", "--timeout", "1"]);
        var clock = Stopwatch.StartNew();
        while (!process.HasExited && clock.Elapsed < floodLimit)
        {
            world.Server.FloodWatchEvents($"{be.Absolute}/unrelated", 1000);
            Thread.Sleep(1); // about a million events a second: more than a client takes, without filling memory
        }
        bool endedDuringTheFlood = process.HasExited;

        HotplugResult add = HotplugHarness.Finish(process);

        Assert.True(endedDuringTheFlood, $"add outlived a {floodLimit.TotalSeconds} s flood with a 1 s deadline: {add}");
        Assert.True(add.ExitCode == 1, add.ToString());
        Assert.Contains("blkback did not open 7:", be["hotplug-error"]);
        Assert.Contains("within 1 s", be["hotplug-error"]);
        AssertNothingExported(be, image);
    }

    /// <summary>physical-device, diskseq and the record all name the one device blkback holds.</summary>
    private static void AssertExportedAndHeld(TestBackend be, TestImage image)
    {
        Assert.True(DeviceNumber.TryParse(be["physical-device"], out DeviceNumber device), be["physical-device"]);
        Assert.Equal(device, be.Blkback!.HeldDevice);
        Assert.Equal($"loop {device} {be["diskseq"]}", be["block-diskseq/layers"]);
        Assert.Equal("connected", be["hotplug-status"]);
        Assert.Null(be["hotplug-error"]);
        Assert.Equal(1, image.BoundLoops);
    }

    private static void AssertNothingExported(TestBackend be, TestImage image)
    {
        Assert.Null(be["physical-device"]);
        Assert.Null(be["diskseq"]);
        Assert.Null(be["block-diskseq/layers"]);
        Assert.Equal(0, HotplugHarness.LoopsLeft(image));
    }
}
