using System;
using System.IO;
using BlockDiskseq.Devices;
using BlockDiskseq.TestSupport;
using Xunit;

namespace BlockDiskseq.Tests.Integration;

/// <summary>
/// The emulated blkback that bench/run also gives Xen's own block script, which writes no diskseq: strict by
/// default (block-diskseq always writes one), and the series' "no check" when told to accept its absence.
/// </summary>
[Collection(LoopDeviceCollection.Name)]
public sealed class BlkbackEmulatorTests : IDisposable
{
    private readonly HotplugHarness world = new();
    private readonly LoopScratch loops = new();

    public void Dispose()
    {
        world.Dispose();
        loops.Dispose();
    }

    [IntegrationTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void PhysicalDeviceWithoutDiskseqIsHeldOnlyWhenAccepted(bool accept)
    {
        LoopDevice loop = loops.Attach(loops.CreateImage());
        TestBackend be = world.Backend(70, 51712, "/dev/null");
        be.Blkback!.AcceptMissingDiskseq = accept;

        be.Write("physical-device", loop.Device.ToString());

        Assert.Equal(accept, be.Blkback.WaitUntilHeld(TimeSpan.FromSeconds(accept ? 10 : 1)));
        Assert.Equal(accept ? null : "22 physical-device without diskseq", world.Server.Read(be.ErrorNode));
    }

    /// <summary>
    /// xenbus unregisters the vbd-D-N device when its backend goes. Left on the bus, every later add of a
    /// long run scans it: the reliability sweep's adds read 11,355 stale vbds (one openat each, each a fault point).
    /// </summary>
    [IntegrationFact]
    public void DisposeTakesTheVbdOffTheXenBackendBus()
    {
        TestBackend be = world.Backend(71, 51712, "/dev/null");
        string vbd = Path.Combine(world.SysfsRoot, "bus", "xen-backend", "devices", "vbd-71-51712");
        Assert.True(Directory.Exists(vbd));

        be.Blkback!.Dispose();

        Assert.False(Directory.Exists(vbd));
    }
}
