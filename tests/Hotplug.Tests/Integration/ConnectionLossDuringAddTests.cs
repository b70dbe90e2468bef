using System;
using BlockDiskseq.TestSupport;
using TestXenstored;
using Xunit;

namespace BlockDiskseq.Tests.Integration;

/// <summary>
/// Found by the reliability suite's syscall sweep (tests/Reliability, docs/reliability.md): an add whose
/// Xenstore connection broke left physical-device, diskseq and the record behind, naming a loop device that
/// went with the process:
/// - broken after the transaction, during the wait: the undo ran on the broken connection. It now retries
///   once on a fresh connection, as hotplug-error does;
/// - the commit's reply lost after xenstored applied it: the commit looked failed and nothing undid it. add
///   now undoes a commit that turns out to have been applied.
/// </summary>
[Collection(LoopDeviceCollection.Name)]
public sealed class ConnectionLossDuringAddTests : IDisposable
{
    private readonly HotplugHarness world = new();

    public void Dispose() => world.Dispose();

    [IntegrationTheory]
    [InlineData(BlkbackFlavour.Series)]
    [InlineData(BlkbackFlavour.Mainline)]
    public void ConnectionDroppedDuringTheWaitLeavesNothingExported(BlkbackFlavour flavour)
    {
        // The wait's first request after the transaction is its watch on the backend: drop the connection there.
        AssertFailedLeavingNothing(flavour, () => world.Server.DropConnectionOnNext(XsdType.Watch));
    }

    [IntegrationFact]
    public void CommitReplyLostAfterItWasAppliedLeavesNothingExported()
    {
        AssertFailedLeavingNothing(BlkbackFlavour.Series, () => world.Server.DropConnectionAfterNext(XsdType.TransactionEnd));
    }

    private void AssertFailedLeavingNothing(BlkbackFlavour flavour, Action fault)
    {
        TestImage image = world.Image();
        TestBackend be = world.Backend(5, 51712, image.Path, blkback: flavour);
        be.Blkback!.Stall = true;
        fault();

        HotplugResult add = world.Run(be, "add");

        Assert.True(add.ExitCode == 1, add.ToString());
        Assert.Null(be["physical-device"]);
        Assert.Null(be["diskseq"]);
        Assert.Null(be["block-diskseq/layers"]);
        Assert.Equal("error", be["hotplug-status"]);
        Assert.Equal(0, HotplugHarness.LoopsLeft(image));
    }
}
