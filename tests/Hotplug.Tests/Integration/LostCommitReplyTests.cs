using System;
using BlockDiskseq.TestSupport;
using TestXenstored;
using Xunit;

namespace BlockDiskseq.Tests.Integration;

/// <summary>
/// Found by the reliability suite's syscall sweep (tests/Reliability, docs/reliability.md): when the reply to
/// add's commit was lost after xenstored applied it, add failed (the commit's outcome looked like an error)
/// and left the committed physical-device, diskseq and record behind, naming a device that went with it.
/// add now undoes a commit that turns out to have been applied, on a fresh connection.
/// </summary>
[Collection(LoopDeviceCollection.Name)]
public sealed class LostCommitReplyTests : IDisposable
{
    private readonly HotplugHarness world = new();

    public void Dispose() => world.Dispose();

    [IntegrationFact]
    public void AddWhoseCommitReplyIsLostLeavesNothingExported()
    {
        TestImage image = world.Image();
        TestBackend be = world.Backend(6, 51712, image.Path);
        be.Blkback!.Stall = true;
        world.Server.LoseReplyOnNext(XsdType.TransactionEnd);

        HotplugResult add = world.Run(be, "add");

        Assert.True(add.ExitCode == 1, add.ToString());
        Assert.Null(be["physical-device"]);
        Assert.Null(be["diskseq"]);
        Assert.Null(be["block-diskseq/layers"]);
        Assert.Equal("error", be["hotplug-status"]);
        Assert.Equal(0, HotplugHarness.LoopsLeft(image));
    }
}
