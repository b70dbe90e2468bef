using System;
using BlockDiskseq.TestSupport;
using TestXenstored;
using Xunit;

namespace BlockDiskseq.Tests.Integration;

/// <summary>
/// Found by the reliability suite's syscall sweep (tests/Reliability, docs/reliability.md): an add whose
/// Xenstore connection breaks after its transaction (xenstored restarted, or dropped us) failed, but its undo
/// ran on the broken connection and left physical-device, diskseq and the record behind, naming a device
/// that went with the process. The undo now retries once on a fresh connection, as hotplug-error does.
/// </summary>
[Collection(LoopDeviceCollection.Name)]
public sealed class ConnectionLossDuringWaitTests : IDisposable
{
    private readonly HotplugHarness world = new();

    public void Dispose() => world.Dispose();

    [IntegrationTheory]
    [InlineData(BlkbackFlavour.Series)]
    [InlineData(BlkbackFlavour.Mainline)]
    public void AddWhoseConnectionDropsAfterTheTransactionLeavesNothingExported(BlkbackFlavour flavour)
    {
        TestImage image = world.Image();
        TestBackend be = world.Backend(5, 51712, image.Path, blkback: flavour);
        be.Blkback!.Stall = true;
        // The wait's first request after the transaction is its watch on the backend: drop the connection there.
        world.Server.DropConnectionOnNext(XsdType.Watch);

        HotplugResult add = world.Run(be, "add");

        Assert.True(add.ExitCode == 1, add.ToString());
        Assert.Null(be["physical-device"]);
        Assert.Null(be["diskseq"]);
        Assert.Null(be["block-diskseq/layers"]);
        Assert.Equal("error", be["hotplug-status"]);
        Assert.Equal(0, HotplugHarness.LoopsLeft(image));
    }
}
