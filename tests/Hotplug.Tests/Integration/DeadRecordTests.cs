using System;
using System.Linq;
using BlockDiskseq.Devices;
using BlockDiskseq.TestSupport;
using Xunit;

namespace BlockDiskseq.Tests.Integration;

/// <summary>
/// Issue 21, item 4: add run again for a backend whose nodes an earlier add wrote must not trust them blindly.
/// The earlier add died after its commit (here: --no-wait with no blkback, so nothing holds the loop device and it
/// goes when the add exits, as after a SIGKILL); its device number is then bound to another file.
/// </summary>
[Collection(LoopDeviceCollection.Name)]
public sealed class DeadRecordTests : IDisposable
{
    private readonly HotplugHarness world = new();

    public void Dispose() => world.Dispose();

    [IntegrationFact]
    public void AReRunAddExportsAgainWhenTheRecordedDeviceWasFreedAndReused()
    {
        TestImage image = world.Image("guest.img");
        TestImage other = world.Image("other.img");
        TestBackend be = world.Backend(180, 51712, image.Path, blkback: null);
        world.Succeed(be, "add", "--no-wait");
        string first = be["physical-device"]!;
        Assert.Equal(0, HotplugHarness.LoopsLeft(image)); // nobody held it: gone with the add
        Assert.True(DeviceNumber.TryParse(first, out DeviceNumber dead));
        string reused = $"/dev/loop{dead.Minor}"; // loop minors are loop numbers (max_part 0)
        Tools.Run("losetup", reused, other.Path);
        try
        {
            HotplugResult again = world.Run(be, "add", "--no-wait");

            Assert.True(again.ExitCode == 0, again.ToString());
            Assert.Contains($"physical-device {first} was written by block-diskseq, but", world.Logged(again));
            Assert.NotEqual(first, be["physical-device"]);
            Assert.EndsWith($"{be["physical-device"]} {be["diskseq"]}", be["block-diskseq/layers"]);
            Assert.Equal(1, other.BoundLoops); // the other file's loop device was not touched
        }
        finally
        {
            Tools.Run("losetup", "--detach", reused);
        }
    }

    [IntegrationFact]
    public void AReRunAddKeepsALiveExport()
    {
        TestImage image = world.Image();
        TestBackend be = world.Backend(181, 51712, image.Path);
        world.Succeed(be, "add");
        string layers = be["block-diskseq/layers"]!;

        HotplugResult again = world.Run(be, "add");

        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(layers, be["block-diskseq/layers"]);
        Assert.Equal(1, image.BoundLoops);
        be.Blkback!.Shutdown();
        world.Succeed(be, "remove");
    }
}
