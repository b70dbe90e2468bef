using System;
using System.IO;
using BlockDiskseq.Devices;
using BlockDiskseq.TestSupport;
using Xunit;

namespace BlockDiskseq.Tests.Integration;

/// <summary>
/// Issue 12, items 3 and 9: what add opens, seen from outside with strace. A target that is not a regular
/// file or block device is never opened for reading or writing (opening a watchdog arms it, a tape rewinds,
/// a FIFO blocks); the sharing check's scan of other loop devices opens none of them (one on a hung NFS
/// server would stall every add).
/// </summary>
[Collection(LoopDeviceCollection.Name)]
public sealed class OpenSafetyTests : IDisposable
{
    private readonly HotplugHarness world = new();

    public void Dispose() => world.Dispose();

    [IntegrationTheory]
    [InlineData("char device", "w", "is a character device, not a regular file or block device")]
    [InlineData("char device", "r", "is a character device, not a regular file or block device")]
    [InlineData("fifo without a writer", "w", "is a FIFO, not a regular file or block device")]
    [InlineData("fifo without a writer", "r", "is a FIFO, not a regular file or block device")]
    public void ATargetOfAnotherTypeIsOnlyEverOpenedWithOPath(string situation, string mode, string error)
    {
        string path = situation == "char device" ? "/dev/null" : MakeFifo();
        TestBackend be = world.Backend(80, 51712, path, mode);

        (HotplugResult add, string[] opens) = world.RunTracingOpens(be, "add", path);

        Assert.True(add.ExitCode == 1, add.ToString());
        Assert.Equal("error", be["hotplug-status"]);
        Assert.Equal($"{path} {error}", be["hotplug-error"]);
        Assert.NotEmpty(opens);
        Assert.All(opens, open => Assert.Contains("O_PATH", open));
    }

    [IntegrationFact]
    public void TheSharingCheckOpensOtherLoopDevicesOnlyThroughOPath()
    {
        TestImage other = world.Image("other.img");
        using OpenedTarget backing = OpenedTarget.Open(new DiskTarget(other.Path), AccessMode.Write);
        using LoopDevice loop = LoopDevice.Attach(backing, readOnly: false);
        TestImage image = world.Image();
        TestBackend be = world.Backend(81, 51712, image.Path);

        (HotplugResult add, string[] opens) = world.RunTracingOpens(be, "add", loop.Path);

        // Issue 21: each bound loop device is asked by LOOP_GET_STATUS64 what backs it. Its node is opened with
        // O_PATH (no driver code runs), checked by fstat, and only then reopened read-only through /proc/self/fd.
        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.NotEmpty(opens);
        Assert.All(opens, open => Assert.Contains("O_PATH", open));
        be.Blkback!.Shutdown();
        world.Succeed(be, "remove");
    }

    private string MakeFifo()
    {
        string path = Path.Combine(world.Root, "fifo");
        Assert.Equal(0, TestNative.mkfifo(path, 0x180));
        return path;
    }
}
