using System;
using System.IO;
using BlockDiskseq.Devices;
using BlockDiskseq.TestSupport;
using Xunit;

namespace BlockDiskseq.Tests.Integration;

/// <summary>add and remove of image files and block devices, run as libxl runs them, with real loop devices.</summary>
[Collection(LoopDeviceCollection.Name)]
public sealed class AddRemoveTests : IDisposable
{
    private readonly HotplugHarness world = new();

    public void Dispose() => world.Dispose();

    [IntegrationTheory]
    [InlineData(BlkbackFlavour.Series, "w")]
    [InlineData(BlkbackFlavour.Series, "r")]
    [InlineData(BlkbackFlavour.Mainline, "w")]
    [InlineData(BlkbackFlavour.Mainline, "r")]
    public void FileAddThenRemove(BlkbackFlavour flavour, string mode)
    {
        TestImage image = world.Image();
        TestBackend be = world.Backend(1, 51712, image.Path, mode, flavour);

        HotplugResult add = world.Run(be, "add");

        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.True(DeviceNumber.TryParse(be["physical-device"], out DeviceNumber device));
        Assert.Equal(7u, device.Major);
        Assert.Equal(device, be.Blkback!.HeldDevice);
        string loopPath = be["physical-device-path"]!;
        Assert.Equal(loopPath, be["node"]);
        Assert.Equal($"loop {device} {be["diskseq"]}", be["block-diskseq/layers"]);
        Assert.Equal("connected", be["hotplug-status"]);
        Assert.Null(be["hotplug-error"]);
        Assert.Equal(1, image.BoundLoops);
        Assert.Equal(mode == "r" ? "1\n" : "0\n", File.ReadAllText($"/sys/dev/block/{device.Major}:{device.Minor}/ro"));
        Assert.Equal(flavour == BlkbackFlavour.Series ? "1" : null, be["opened"]);

        string diskseq = be["diskseq"]!;
        be.Blkback.Shutdown();
        HotplugResult remove = world.Run(be, "remove");

        Assert.True(remove.ExitCode == 0, remove.ToString());
        // blkback's close detached it (autoclear), or remove did: either way the summary names it
        Assert.Matches($"(removed|already gone:) loop {device} {diskseq}", world.Logged(remove));
        Assert.Equal(0, HotplugHarness.LoopsLeft(image));
        foreach (string key in (string[])["physical-device", "diskseq", "physical-device-path", "node", "block-diskseq/layers"])
            Assert.Null(be[key]);
        Assert.Null(be.Blkback.Error);
    }

    /// <summary>
    /// Issue 12 item 8: remove said "removed loop 7:0 8e4" of a device it had left alone because its diskseq had
    /// changed. The record is made to name an older diskseq of the device blkback still holds: a device freed
    /// and reused since add, as remove sees it.
    /// </summary>
    [IntegrationFact]
    public void RemoveSaysWhatItLeftAndWhy()
    {
        TestImage image = world.Image();
        TestBackend be = world.Backend(2, 51712, image.Path);
        world.Succeed(be, "add");
        Assert.True(DeviceNumber.TryParse(be["physical-device"], out DeviceNumber device));
        string now = be["diskseq"]!;
        Assert.True(DiskSequence.TryParse(now, out ulong diskseq));
        string recorded = DiskSequence.Format(diskseq - 1);
        be.Write("block-diskseq/layers", $"loop {device} {recorded}");

        HotplugResult remove = world.Succeed(be, "remove");

        Assert.Contains($"left loop {device} {recorded}: its diskseq is now {now} (reused)", world.Logged(remove));
        Assert.DoesNotContain("removed loop", world.Logged(remove));
        Assert.Equal(1, image.BoundLoops); // not ours any more: untouched
        be.Blkback!.Shutdown();
        Assert.Equal(0, HotplugHarness.LoopsLeft(image));
    }

    /// <summary>
    /// The Xenstore round trips one add and one remove make, at most (docs/benchmarks.md, "Xenstore requests"; each
    /// costs a request to xenstored and, once a watch is set, a hand-off through libxenstore's reader thread).
    /// add: one listing of the backend directory; reads of type, frontend-id, params, mode, blkback's error node
    /// and (series) opened; the 11-request transaction (start, state, physical-device, 7 writes, end); one watch;
    /// then one read per node its events name: opened (series) or blkback's sysfs attribute (mainline, no request)
    /// first, and the state only while blkback does not hold the device yet: series 18 + 1 + 1 when opened is 1 at
    /// the watch's first event, + 3 when it comes after it (opened 0, the state, opened 1); mainline 17 + 1 + 0
    /// to 2. Binding a loop device asks Xenstore only about backends that blkback has not opened a device for
    /// (none here: BackendClaims). remove: the record, 4 deletes, our directory.
    /// </summary>
    [IntegrationTheory]
    [InlineData(BlkbackFlavour.Series, 22)]
    [InlineData(BlkbackFlavour.Mainline, 20)]
    public void AddAndRemoveMakeFewXenstoreRequests(BlkbackFlavour flavour, int addLimit)
    {
        TestImage image = world.Image();
        TestBackend be = world.Backend(1, 51712, image.Path, "w", flavour);

        long before = world.Server.RequestCount;
        HotplugResult add = world.Run(be, "add");
        long addRequests = world.Server.RequestCount - before;
        be.Blkback!.Shutdown();
        before = world.Server.RequestCount;
        HotplugResult remove = world.Run(be, "remove");
        long removeRequests = world.Server.RequestCount - before;

        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.True(remove.ExitCode == 0, remove.ToString());
        Assert.InRange(addRequests, 1 + 5 + 11 + 1, addLimit);
        Assert.Equal(6, removeRequests);
        Assert.Equal(0, HotplugHarness.LoopsLeft(image));
    }

    [IntegrationFact]
    public void ParallelAddsOfDifferentImagesAllSucceed()
    {
        const int Disks = 8; // each races the others for free loop devices (LOOP_CTL_GET_FREE + O_EXCL)
        var images = new TestImage[Disks];
        var backends = new TestBackend[Disks];
        var runs = new System.Diagnostics.Process[Disks];
        for (int i = 0; i < Disks; i++)
        {
            images[i] = world.Image($"disk{i}.img");
            backends[i] = world.Backend(10 + (uint)i, 51712, images[i].Path, "w", i % 2 == 0 ? BlkbackFlavour.Series : BlkbackFlavour.Mainline);
        }
        for (int i = 0; i < Disks; i++)
            runs[i] = world.Start(["add"], world.LibxlEnvironment(backends[i]));
        for (int i = 0; i < Disks; i++)
        {
            using System.Diagnostics.Process run = runs[i];
            HotplugResult add = HotplugHarness.Finish(run);
            Assert.True(add.ExitCode == 0, add.ToString());
        }

        for (int i = 0; i < Disks; i++)
        {
            Assert.Equal(1, images[i].BoundLoops);
            Assert.True(DeviceNumber.TryParse(backends[i]["physical-device"], out DeviceNumber device));
            Assert.Equal(device, backends[i].Blkback!.HeldDevice);
            backends[i].Blkback!.Shutdown();
            world.Succeed(backends[i], "remove");
            Assert.Equal(0, HotplugHarness.LoopsLeft(images[i]));
        }
    }

    [IntegrationFact]
    public void AddTwiceIsANoOp()
    {
        TestImage image = world.Image();
        TestBackend be = world.Backend(2, 51712, image.Path);
        world.Succeed(be, "add");
        string? physicalDevice = be["physical-device"];

        HotplugResult again = world.Run(be, "add");

        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal("", again.Stderr);
        Assert.EndsWith("already written by block-diskseq: nothing to do", world.HotplugLogLines()[^1]);
        Assert.Equal(physicalDevice, be["physical-device"]);
        Assert.Equal(1, image.BoundLoops);
        Assert.Equal(1, be.Blkback!.OpenCount);
        be.Blkback.Shutdown();
        world.Succeed(be, "remove");
        Assert.Equal(0, HotplugHarness.LoopsLeft(image));
    }

    [IntegrationFact]
    public void RemoveWithTheImageDeletedStillTearsDown()
    {
        TestImage image = world.Image();
        TestBackend be = world.Backend(3, 51712, image.Path);
        world.Succeed(be, "add");
        File.Delete(image.Path);
        be.Write("params", "/nonexistent/renamed.img");

        // remove before blkback lets go, as when the toolstack gives up on a stuck device: detach is lazy.
        HotplugResult remove = world.Run(be, "remove");

        Assert.True(remove.ExitCode == 0, remove.ToString());
        Assert.Null(be["physical-device"]);
        Assert.Null(be["block-diskseq/layers"]);
        be.Blkback!.Shutdown();
        Assert.Equal(0, HotplugHarness.LoopsLeft(image));
    }

    [IntegrationFact]
    public void RemoveTwiceAndRemoveOfNothingSucceed()
    {
        TestImage image = world.Image();
        TestBackend be = world.Backend(4, 51712, image.Path);
        HotplugResult nothing = world.Run(be, "remove");
        Assert.True(nothing.ExitCode == 0, nothing.ToString());
        Assert.Equal("", nothing.Stderr);
        Assert.Contains("nothing to remove", world.HotplugLogLines()[^1]);

        world.Succeed(be, "add");
        be.Blkback!.Shutdown();
        world.Succeed(be, "remove");
        HotplugResult second = world.Run(be, "remove");
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Equal(0, HotplugHarness.LoopsLeft(image));
    }

    [IntegrationFact]
    public void RemoveLeavesAReusedLoopDeviceAlone()
    {
        TestImage image = world.Image();
        TestImage other = world.Image("other.img");
        TestBackend be = world.Backend(5, 51712, image.Path);
        world.Succeed(be, "add");
        string loopPath = be["physical-device-path"]!;
        be.Blkback!.Shutdown();
        Assert.Equal(0, HotplugHarness.LoopsLeft(image));
        // Someone else binds the same loop device number to their own file before remove runs.
        Tools.Run("losetup", loopPath, other.Path);
        try
        {
            HotplugResult remove = world.Run(be, "remove");

            Assert.True(remove.ExitCode == 0, remove.ToString());
            Assert.Equal("", remove.Stderr);
            Assert.Contains(world.HotplugLogLines(), line => line.Contains("no longer the device we created"));
            Assert.Equal(1, other.BoundLoops);
        }
        finally
        {
            Tools.Run("losetup", "-d", loopPath);
        }
    }
}
