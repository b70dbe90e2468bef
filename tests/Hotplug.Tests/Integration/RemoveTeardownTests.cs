using System;
using System.Collections.Generic;
using System.IO;
using BlockDiskseq.Devices;
using BlockDiskseq.TestSupport;
using Xunit;

namespace BlockDiskseq.Tests.Integration;

/// <summary>
/// Remove's own teardown, observed with blkback still holding the device (xen_blkif_free drops it from
/// deferred work after Closed, docs/protocol-facts.md §5), and remove's failure paths: a malformed record
/// touches no device, a layer that cannot be torn down stays in the record for the next remove.
/// </summary>
[Collection(LoopDeviceCollection.Name)]
public sealed class RemoveTeardownTests : IDisposable
{
    private const string RecordKey = "block-diskseq/layers";
    private readonly HotplugHarness world = new();

    public void Dispose() => world.Dispose();

    [IntegrationTheory]
    [InlineData(BlkbackFlavour.Series)]
    [InlineData(BlkbackFlavour.Mainline)]
    public void RemoveWhileBlkbackStillHoldsTheDeviceLeavesItToGoAtItsLastClose(BlkbackFlavour flavour)
    {
        TestImage image = world.Image();
        TestBackend be = world.Backend(1, 51712, image.Path, "w", flavour);
        world.Succeed(be, "add");
        Assert.NotNull(be.Blkback!.HeldDevice);

        HotplugResult remove = world.Run(be, "remove");

        Assert.True(remove.ExitCode == 0, remove.ToString());
        Assert.NotNull(be.Blkback.HeldDevice); // blkback's reference is untouched: remove never pulls a device from under it
        foreach (string key in (string[])["physical-device", "diskseq", "physical-device-path", "node", RecordKey])
            Assert.Null(be[key]);
        Assert.DoesNotContain("could not", remove.Stderr);
        // blkback lets go: the device goes at that last close, with no second remove.
        be.Blkback.Shutdown();
        Assert.Equal(0, HotplugHarness.LoopsLeft(image));
        Assert.Null(be.Blkback.Error);
    }

    [IntegrationFact]
    public void MalformedRecordFailsAndTouchesNoDevice()
    {
        TestImage other = world.Image("other.img");
        TestBackend be = world.Backend(2, 51712, "/nonexistent.img", "w", blkback: null);
        string loopPath = Tools.Run("losetup", "-f", "--show", other.Path).Trim();
        try
        {
            DeviceNumber device = DeviceNumber.FromDevT(LoopScratch.StatusOf(loopPath).RDev.ToDevT());
            string diskseq = File.ReadAllText($"/sys/dev/block/{device.Major}:{device.Minor}/diskseq").Trim();
            // The real device and its real diskseq, but not in the form add writes (a leading zero: the parser
            // refuses it whatever the value; upper-case hex was this test's first choice, and a diskseq of
            // decimal digits only, which the machine's count reaches, made that a valid record).
            string record = $"loop {device} 0{ulong.Parse(diskseq, System.Globalization.CultureInfo.InvariantCulture):x}";
            be.Write(RecordKey, record);
            be.Write("physical-device", device.ToString());

            HotplugResult remove = world.Run(be, "remove");

            Assert.Equal(1, remove.ExitCode);
            Assert.Contains("is malformed", be["hotplug-error"]);
            Assert.Equal("error", be["hotplug-status"]);
            Assert.Equal(record, be[RecordKey]); // kept for a person to look at
            Assert.Equal(1, other.BoundLoops);
        }
        finally
        {
            HotplugHarness.DetachLeftovers(other); // only if it is still bound to this test's image
        }
    }

    /// <summary>
    /// A layer remove cannot tear down (here: sysfs says its number is not a loop device, so remove refuses
    /// to touch it) stays in the record, the others are torn down, and the next remove finishes the job.
    /// </summary>
    [IntegrationFact]
    public void PartialTeardownKeepsTheFailedLayerForTheNextRemove()
    {
        TestImage image = world.Image();
        TestBackend be = world.Backend(3, 51712, image.Path, "w", BlkbackFlavour.Series);
        world.Succeed(be, "add");
        Assert.True(DeviceNumber.TryParse(be["physical-device"], out DeviceNumber real));
        var stuck = new DeviceNumber(7, DeviceNumber.MaxMinor);
        string sysfs = Directory.CreateDirectory(Path.Combine(world.Root, "fake-sysfs")).FullName;
        FakeUevent(sysfs, real, File.ReadAllText($"/sys/dev/block/{real.Major}:{real.Minor}/uevent"));
        string stuckUevent = FakeUevent(sysfs, stuck, "MAJOR=7\nMINOR=1048575\nDEVNAME=sda\nDEVTYPE=disk\n");
        string realLayer = be[RecordKey]!;
        be.Write(RecordKey, $"{realLayer};loop {stuck} 1");
        be.Blkback!.Shutdown();
        Dictionary<string, string?> env = world.LibxlEnvironment(be);
        env["BLOCK_DISKSEQ_SYSFS"] = sysfs;

        HotplugResult first = world.Run(["remove"], env);

        Assert.Equal(1, first.ExitCode);
        Assert.Contains($"could not tear down loop {stuck} 1", be["hotplug-error"]);
        Assert.Equal($"loop {stuck} 1", be[RecordKey]);   // only the layer still there
        Assert.Equal(0, HotplugHarness.LoopsLeft(image)); // the real layer was torn down anyway

        File.Delete(stuckUevent); // the device is gone now
        HotplugResult second = world.Run(["remove"], env);

        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Null(be[RecordKey]);
        Assert.False(world.Server.Exists($"{be.Absolute}/block-diskseq"));
    }

    /// <summary>
    /// Issue 21, item 11: the record deleted by hand. Our directory (written only by add's transaction, with
    /// the exported nodes) says the nodes are ours: remove forgets them and the directory. A physical-device
    /// with no directory of ours beside it may be another script's: remove leaves it.
    /// </summary>
    [IntegrationFact]
    public void RemoveWithoutTheRecordForgetsTheNodesOurDirectoryVouchesFor()
    {
        TestImage image = world.Image();
        TestBackend be = world.Backend(4, 51712, image.Path, "w", BlkbackFlavour.Series);
        world.Succeed(be, "add");
        Assert.NotNull(be["node"]);
        be.Remove(RecordKey);
        be.Blkback!.Shutdown();

        HotplugResult remove = world.Run(be, "remove");

        Assert.True(remove.ExitCode == 0, remove.ToString());
        foreach (string key in (string[])["physical-device", "diskseq", "physical-device-path", "node"])
            Assert.Null(be[key]);
        Assert.False(world.Server.Exists($"{be.Absolute}/block-diskseq"));
        Assert.Contains("forgot the nodes add wrote", world.HotplugLogLines()[^1]);
        Assert.Equal(0, HotplugHarness.LoopsLeft(image)); // autoclear took it at blkback's last close
    }

    [IntegrationFact]
    public void RemoveLeavesAnotherScriptsNodesAlone()
    {
        TestBackend be = world.Backend(5, 51712, "/nonexistent.img", "w", blkback: null);
        be.Write("physical-device", "7:5");
        be.Write("diskseq", "8e4");
        be.Write("node", "/dev/loop5");

        HotplugResult remove = world.Run(be, "remove");

        Assert.True(remove.ExitCode == 0, remove.ToString());
        Assert.Equal("7:5", be["physical-device"]);
        Assert.Equal("8e4", be["diskseq"]);
        Assert.Equal("/dev/loop5", be["node"]);
        Assert.Contains("nothing to remove", world.HotplugLogLines()[^1]);
    }

    private static string FakeUevent(string sysfs, DeviceNumber device, string content)
    {
        string dir = Directory.CreateDirectory(Path.Combine(sysfs, "dev", "block", $"{device.Major}:{device.Minor}")).FullName;
        string uevent = Path.Combine(dir, "uevent");
        File.WriteAllText(uevent, content);
        return uevent;
    }
}
