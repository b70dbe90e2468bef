using System;
using System.IO;
using BlockDiskseq.Devices;
using BlockDiskseq.TestSupport;
using Xunit;

namespace BlockDiskseq.Tests.Integration;

/// <summary>params naming a block device: used as it is, never created, so never torn down by remove.</summary>
[Collection(LoopDeviceCollection.Name)]
public sealed class BlockDeviceTests : IDisposable
{
    private readonly HotplugHarness world = new();
    private readonly TestImage image;
    /// <summary>The test's own block device: a loop device attached here, not by the binary.</summary>
    private readonly AdminLoop device;

    public BlockDeviceTests()
    {
        // Skipped tests never construct their class, so this runs only where loop devices work.
        image = world.Image();
        device = new AdminLoop(image.Path);
    }

    public void Dispose()
    {
        device.Dispose();
        world.Dispose();
    }

    public enum Spelling { Path, Symlink, BareName }

    [IntegrationTheory]
    [InlineData(Spelling.Path, BlkbackFlavour.Series)]
    [InlineData(Spelling.Symlink, BlkbackFlavour.Series)]
    [InlineData(Spelling.BareName, BlkbackFlavour.Series)]
    [InlineData(Spelling.Path, BlkbackFlavour.Mainline)]
    public void AddUsesTheDeviceAndRemoveLeavesItAttached(Spelling spelling, BlkbackFlavour flavour)
    {
        string parameters = spelling switch
        {
            Spelling.Path => device.Path,
            Spelling.Symlink => File.CreateSymbolicLink(Path.Combine(world.Root, "by-id-disk"), device.Path).FullName,
            _ => Path.GetFileName(device.Path),
        };
        TestBackend be = world.Backend(6, 51712, parameters, "w", flavour);

        HotplugResult add = world.Run(be, "add");

        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.Equal(device.Device.ToString(), be["physical-device"]);
        Assert.Equal(DiskSequence.Format(device.Diskseq), be["diskseq"]);
        Assert.Equal(spelling == Spelling.BareName ? device.Path : parameters, be["physical-device-path"]);
        Assert.Null(be["node"]);
        Assert.Equal("none", be["block-diskseq/layers"]);
        Assert.Equal(device.Device, be.Blkback!.HeldDevice);
        Assert.Equal(1, image.BoundLoops);

        be.Blkback.Shutdown();
        HotplugResult remove = world.Run(be, "remove");

        Assert.True(remove.ExitCode == 0, remove.ToString());
        Assert.Null(be["physical-device"]);
        Assert.True(device.IsBound);
        Assert.Equal(1, image.BoundLoops);
    }

    [IntegrationFact]
    public void ParallelWritableAddsThroughTwoNodesOfOneDeviceGiveOneSuccessAndOneBusy()
    {
        // Another inode of the same device (as a /dev/mapper node made without udev would be): the lock
        // must be the device's, not the node's.
        string node = Path.Combine(world.Root, "same-device");
        Assert.Equal(0, TestNative.mknod(node, BlockDiskseq.Native.LibC.S_IFBLK | 0x180, device.Device.ToDevT()));
        TestBackend first = world.Backend(8, 51712, device.Path);
        TestBackend second = world.Backend(9, 51712, node);
        (HotplugResult ra, HotplugResult rb) = world.AddTogether(first, second);

        Assert.True((ra.ExitCode, rb.ExitCode) is (0, 1) or (1, 0), $"{ra}\n{rb}");
        TestBackend loser = ra.ExitCode == 0 ? second : first;
        Assert.Equal("busy", loser["hotplug-status"]);
        Assert.Contains("is mounted in a guest domain", loser["hotplug-error"]);
    }

    [IntegrationFact]
    public void ReadOnlyModeOpensTheDeviceReadOnly()
    {
        TestBackend be = world.Backend(7, 51712, device.Path, "r");

        HotplugResult add = world.Run(be, "add");

        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.Equal(device.Device, be.Blkback!.HeldDevice);
        be.Blkback.Shutdown();
        world.Succeed(be, "remove");
        Assert.True(device.IsBound);
    }
}
