using System;
using System.IO;
using System.Linq;
using BlockDiskseq.Devices;
using BlockDiskseq.Native;
using BlockDiskseq.TestSupport;
using Xunit;

namespace BlockDiskseq.Tests.Integration;

/// <summary>
/// Issue 23: add makes a new loop device for every binding (hotplug/Devices/LoopDevice.cs), so the devices it
/// makes must go again, or every add/remove cycle would leave one more /dev/loopN behind (LoopPool).
/// </summary>
[Collection(LoopDeviceCollection.Name)]
public sealed class LoopPoolTests : IDisposable
{
    private readonly HotplugHarness world = new();

    public void Dispose() => world.Dispose();

    [IntegrationFact]
    public void RemoveDeletesTheDeviceAddMade()
    {
        TestImage image = world.Image();
        TestBackend be = world.Backend(190, 51712, image.Path);
        world.Succeed(be, "add");
        DeviceNumber device = Exported(be);

        be.Blkback!.Shutdown();
        world.Succeed(be, "remove");

        Assert.False(Exists(device), $"{device} is still there after remove");
    }

    [IntegrationFact]
    public void AFailedAddDeletesTheDeviceItMade()
    {
        TestImage image = world.Image();
        TestBackend be = world.Backend(191, 51712, image.Path);
        world.Server.FailEveryNthCommit(1);
        int before = LoopDeviceCount();

        HotplugResult add = world.Run(be, "add", "--verbose");

        Assert.True(add.ExitCode == 1, add.ToString());
        Assert.Contains("deleted loop", add.Stderr);
        Assert.True(LoopDeviceCount() <= before, $"{LoopDeviceCount()} loop devices after the failed add, {before} before");
    }

    /// <summary>The marker directory cannot be made (a file is in its way): the add fails and deletes the device it made.</summary>
    [IntegrationFact]
    public void AnAddThatCannotMarkItsDeviceDeletesIt()
    {
        TestImage image = world.Image();
        TestBackend be = world.Backend(195, 51712, image.Path);
        Directory.CreateDirectory(world.RunDir);
        File.WriteAllText(Path.Combine(world.RunDir, "udev"), "in the way\n");
        int before = LoopDeviceCount();

        HotplugResult add = world.Run(be, "add");

        Assert.True(add.ExitCode == 1, add.ToString());
        Assert.StartsWith("cannot make the udev marker directory", be["hotplug-error"]);
        Assert.True(LoopDeviceCount() <= before, $"{LoopDeviceCount()} loop devices after the failed add, {before} before");
    }

    /// <summary>
    /// A device someone still holds when remove runs stays (LOOP_CTL_REMOVE refuses it), and a later remove
    /// deletes it once it is free.
    /// </summary>
    [IntegrationFact]
    public void ADeviceHeldAtRemoveIsDeletedByALaterRemove()
    {
        TestImage image = world.Image("held.img");
        TestBackend be = world.Backend(192, 51712, image.Path);
        world.Succeed(be, "add");
        DeviceNumber device = Exported(be);
        string node = $"/dev/loop{device.Minor}"; // loop minors are loop numbers (max_part 0)
        using (SafeFd held = NativeException.Check(LibC.open(node, LibC.O_RDONLY | LibC.O_CLOEXEC, 0), "open", node))
        {
            be.Blkback!.Shutdown();
            HotplugResult remove = world.Run(be, "remove", "--verbose");
            Assert.True(remove.ExitCode == 0, remove.ToString());
            Assert.Contains($"loop{device.Minor} stays", remove.Stderr);
            Assert.True(Exists(device));
        }
        Assert.Equal(0, HotplugHarness.LoopsLeft(image)); // our close was the last: autoclear detached it

        TestImage next = world.Image("next.img");
        TestBackend later = world.Backend(193, 51712, next.Path);
        world.Succeed(later, "add");
        DeviceNumber laterDevice = Exported(later);
        later.Blkback!.Shutdown();
        HotplugResult laterRemove = world.Run(later, "remove", "--verbose");

        Assert.True(laterRemove.ExitCode == 0, laterRemove.ToString());
        Assert.Contains($"deleted loop{device.Minor}, left free by an earlier teardown", laterRemove.Stderr);
        Assert.False(Exists(device));
        Assert.False(Exists(laterDevice));
    }

    /// <summary>
    /// An add killed after it made its device and before the bind leaves a free device with an empty marker
    /// directory (UdevMarker.Reserve comes right after LOOP_CTL_ADD): the next remove deletes it.
    /// </summary>
    [IntegrationFact]
    public void ADeviceOfAnAddKilledBeforeTheBindIsDeletedByTheNextRemove()
    {
        int number;
        using (SafeFd control = NativeException.Check(LibC.open(LoopDevice.ControlPath, LibC.O_RDWR | LibC.O_CLOEXEC, 0), "open", LoopDevice.ControlPath))
            number = NativeException.Check(LibC.ioctl(control, LibC.LOOP_CTL_ADD, -1), "ioctl(LOOP_CTL_ADD)", LoopDevice.ControlPath);
        Directory.CreateDirectory(Path.Combine(world.RunDir, "udev", $"loop{number}"));
        TestImage image = world.Image();
        TestBackend be = world.Backend(194, 51712, image.Path);
        world.Succeed(be, "add");
        be.Blkback!.Shutdown();

        HotplugResult remove = world.Run(be, "remove", "--verbose");

        Assert.True(remove.ExitCode == 0, remove.ToString());
        Assert.Contains($"deleted loop{number}, left free by an earlier teardown", remove.Stderr);
        Assert.False(Directory.Exists($"/sys/block/loop{number}"));
        Assert.False(Directory.Exists(Path.Combine(world.RunDir, "udev", $"loop{number}")));
    }

    /// <summary>The pool after many cycles, one after the other and eight at once: no larger than before.</summary>
    [IntegrationTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void CyclesLeaveThePoolAsItWas(bool together)
    {
        const int Disks = 8, Rounds = 5;
        TestImage[] images = [.. Enumerable.Range(0, Disks).Select(i => world.Image($"cycle{i}.img"))];
        int before = LoopDeviceCount();
        for (int round = 0; round < Rounds; round++)
        {
            TestBackend[] backends = [.. images.Select((image, i) => world.Backend((uint)(200 + round * Disks + i), 51712, image.Path))];
            if (together)
                RunAtOnce(backends, "add");
            else
                foreach (TestBackend be in backends)
                    world.Succeed(be, "add");
            foreach (TestBackend be in backends)
                be.Blkback!.Shutdown();
            if (together)
                RunAtOnce(backends, "remove");
            else
                foreach (TestBackend be in backends)
                    world.Succeed(be, "remove");
        }

        Assert.True(LoopDeviceCount() <= before, $"{LoopDeviceCount()} loop devices after {Rounds * Disks} cycles, {before} before");
    }

    private void RunAtOnce(TestBackend[] backends, string verb)
    {
        var processes = backends.Select(be => world.Start([verb], world.LibxlEnvironment(be))).ToArray();
        foreach ((System.Diagnostics.Process process, TestBackend be) in processes.Zip(backends))
        {
            using (process)
            {
                HotplugResult result = HotplugHarness.Finish(process);
                Assert.True(result.ExitCode == 0, $"{verb} {be}: {result}");
            }
        }
    }

    private static DeviceNumber Exported(TestBackend be)
    {
        Assert.True(DeviceNumber.TryParse(be["physical-device"], out DeviceNumber device), $"physical-device {be["physical-device"]}");
        return device;
    }

    private static bool Exists(DeviceNumber device) => Directory.Exists(Sysfs.DevBlock("/sys", device));

    private static int LoopDeviceCount()
        => Directory.EnumerateDirectories("/sys/block", "loop*").Count();
}
