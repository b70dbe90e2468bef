using System;
using BlockDiskseq.TestSupport;
using Xunit;

namespace BlockDiskseq.Tests.Integration;

/// <summary>status: what a person debugging a disk needs to see, from Xenstore and sysfs only.</summary>
[Collection(LoopDeviceCollection.Name)]
public sealed class StatusTests : IDisposable
{
    private readonly HotplugHarness world = new();

    public void Dispose() => world.Dispose();

    [IntegrationFact]
    public void ShowsNodesCreatedDevicesAndBlkback()
    {
        TestImage image = world.Image();
        TestBackend be = world.Backend(60, 51712, image.Path);
        world.Succeed(be, "add");
        string diskseq = be["diskseq"]!;

        HotplugResult status = world.Run(["status", be.Relative], world.LibxlEnvironment(null));

        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.StartsWith($"{be.Relative}\n", status.Stdout);
        Assert.Contains("  state                 2 (InitWait)\n", status.Stdout);
        Assert.Contains($"  params                {image.Path}\n", status.Stdout);
        Assert.Contains($"  physical-device       {be["physical-device"]}\n", status.Stdout);
        Assert.Contains($"    loop {be["physical-device"]} {diskseq}: alive, diskseq {diskseq} as recorded, backed by {image.Path}\n", status.Stdout);
        Assert.Contains("  blkback               holds the device (opened = 1)\n", status.Stdout);
        Assert.Contains("  waited via            opened\n", status.Stdout);
        Assert.DoesNotContain("dm ABI", status.Stdout);

        be.Blkback!.Shutdown();
        HotplugResult after = world.Run(["status", be.Absolute], world.LibxlEnvironment(null));

        Assert.Contains("  state                 6 (Closed)\n", after.Stdout);
        Assert.Contains($"    loop {be["physical-device"]} {diskseq}: detached: diskseq is now ", after.Stdout);
        Assert.Contains("  blkback               has closed the device or is closing it (state 6)\n", after.Stdout);
    }

    [IntegrationFact]
    public void WithoutAPathListsEveryBackendOfThisDomain()
    {
        TestImage image = world.Image();
        TestBackend first = world.Backend(61, 51712, image.Path, "r");
        TestBackend second = world.Backend(62, 51728, image.Path, "r", BlkbackFlavour.Mainline);
        world.Succeed(second, "add");

        HotplugResult status = world.Run(["status"], world.LibxlEnvironment(null));

        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains($"{first.Relative}\n", status.Stdout);
        Assert.Contains($"{second.Relative}\n", status.Stdout);
        Assert.Contains($"  blkback               holds {second["physical-device"]} ({world.SysfsRoot}/bus/xen-backend/devices/vbd-62-51728/physical_device)", status.Stdout);
        Assert.Contains("  blkback               does not hold a device (opened = 0)", status.Stdout);
        Assert.Contains("  waited via            sysfs\n", status.Stdout);
    }

    [IntegrationFact]
    public void MissingBackendAndUnreachableXenstore()
    {
        HotplugResult missing = world.Run(["status", "backend/vbd/63/768"], world.LibxlEnvironment(null));
        Assert.True(missing.ExitCode == 0, missing.ToString());
        Assert.Equal("backend/vbd/63/768: no such backend\n", missing.Stdout);

        var env = world.LibxlEnvironment(null);
        env["XENSTORED_PATH"] = "/nonexistent/socket";
        HotplugResult unreachable = world.Run(["status"], env);
        Assert.Equal(1, unreachable.ExitCode);
        Assert.Contains("xs_open /nonexistent/socket ($XENSTORED_PATH)", unreachable.Stderr);
    }
}
