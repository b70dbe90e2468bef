using System;
using System.IO;
using System.Text;
using BlockDiskseq.Devices;
using BlockDiskseq.Native;
using BlockDiskseq.TestSupport;
using Xunit;

namespace BlockDiskseq.Tests.Integration;

/// <summary>
/// Issue 12, item 1: a loop device with no file bound is no disk. Exporting one hands the guest whatever a
/// later attach binds to it; binding a file to one that someone holds hands them that file.
/// </summary>
[Collection(LoopDeviceCollection.Name)]
public sealed class UnboundLoopTests : IDisposable
{
    private const string Secret = "SECRET";
    private readonly HotplugHarness world = new();

    public void Dispose() => world.Dispose();

    /// <summary>The reproduction: guest A is given an unbound loop device, guest B's image is attached next.</summary>
    [IntegrationFact]
    public void AnUnboundLoopDeviceIsRefusedSoNoGuestReadsAnothersImage()
    {
        (int number, DeviceNumber free) = FreeLoopDevice();
        TestBackend a = world.Backend(60, 51712, $"/dev/loop{number}");
        TestImage imageB = SecretImage();
        TestBackend b = world.Backend(61, 51712, imageB.Path);

        HotplugResult addA = world.Run(a, "add");
        HotplugResult addB = world.Run(b, "add");

        Assert.True(addB.ExitCode == 0, addB.ToString());
        string seenByA = a.Blkback!.HeldDevice is null ? "" : a.Blkback.ReadHeld(Secret.Length);
        Assert.NotEqual(Secret, seenByA);
        Assert.True(addA.ExitCode == 1, addA.ToString());
        Assert.Equal("error", a["hotplug-status"]);
        Assert.Equal($"/dev/loop{number} ({free}) is a block device with no sectors (an unbound loop device, an unconnected nbd "
            + "device or a device-mapper device without a table): it holds no disk to export", a["hotplug-error"]);
        Assert.Null(a["physical-device"]);
        b.Blkback!.Shutdown();
        world.Succeed(b, "remove");
    }

    public enum User { Process, Backend, BlkbackSysfs }

    /// <summary>
    /// A free loop device someone holds anyway is never bound: add makes a device of its own (LOOP_CTL_ADD), which
    /// nobody can have opened before, and never scans who holds the existing ones (issue 23).
    /// </summary>
    [IntegrationTheory]
    [InlineData(User.Process)]
    [InlineData(User.Backend)]
    [InlineData(User.BlkbackSysfs)]
    public void AFreeLoopDeviceThatSomeoneUsesIsSkipped(User user)
    {
        (int number, DeviceNumber free) = FreeLoopDevice();
        using SafeFd? opened = user == User.Process ? OpenShared($"/dev/loop{number}") : null;
        if (user == User.Backend)
        {
            // Another script's backend: physical-device written, blkback not (yet) holding it.
            TestBackend other = world.Backend(62, 51712, $"/dev/loop{number}", blkback: null);
            other.Write("physical-device", free.ToString());
        }
        if (user == User.BlkbackSysfs)
        {
            string vbd = Directory.CreateDirectory(Path.Combine(world.SysfsRoot, "bus", "xen-backend", "devices", "vbd-63-51712")).FullName;
            File.WriteAllText(Path.Combine(vbd, "physical_device"), $"{free}\n");
        }
        TestImage image = SecretImage();
        TestBackend be = world.Backend(64, 51712, image.Path);

        HotplugResult add = world.Run(be, "add", "--verbose");

        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.NotEqual(free.ToString(), be["physical-device"]);
        if (opened is not null)
            Assert.Equal("", TestNative.ReadStart(opened, Secret.Length));
        be.Blkback!.Shutdown();
        world.Succeed(be, "remove");
        Assert.Equal(0, HotplugHarness.LoopsLeft(image));
    }

    private TestImage SecretImage()
    {
        TestImage image = world.Image("secret.img");
        using (FileStream file = File.OpenWrite(image.Path))
            file.Write(Encoding.ASCII.GetBytes(Secret));
        return image;
    }

    /// <summary>LOOP_CTL_GET_FREE's answer now: the device the next attach would take.</summary>
    internal static (int Number, DeviceNumber Device) FreeLoopDevice()
    {
        using SafeFd control = NativeException.Check(
            LibC.open(LoopDevice.ControlPath, LibC.O_RDWR | LibC.O_CLOEXEC, 0), "open", LoopDevice.ControlPath);
        int number = NativeException.Check(LibC.ioctl(control, LibC.LOOP_CTL_GET_FREE, 0), "ioctl(LOOP_CTL_GET_FREE)", LoopDevice.ControlPath);
        FileStatus status = LoopScratch.StatusOf($"/dev/loop{number}");
        return (number, status.RDev);
    }

    private static SafeFd OpenShared(string path)
        => NativeException.Check(LibC.open(path, LibC.O_RDONLY | LibC.O_CLOEXEC, 0), "open", path);
}
