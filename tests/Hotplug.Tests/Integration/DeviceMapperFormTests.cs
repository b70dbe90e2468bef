using System;
using System.IO;
using BlockDiskseq.TestSupport;
using Xunit;

namespace BlockDiskseq.Tests.Integration;

/// <summary>
/// The device-mapper params forms as the flow handles them: parsed, each target opened once, locked and
/// checked for sharing (a snapshot's origin as a reader), then the dm stack built (hotplug/DeviceMapper)
/// and recorded. On a host without device-mapper (this project's CI machines) the add fails cleanly
/// before any device exists; with it, a whole add and remove runs.
/// </summary>
[Collection(LoopDeviceCollection.Name)]
public sealed class DeviceMapperFormTests : IDisposable
{
    /// <summary>A node alone is not enough: a static node on a kernel without dm-mod answers ENODEV.</summary>
    private static readonly bool HostHasDeviceMapper = OpensDeviceMapperControl();
    private readonly HotplugHarness world = new();

    public void Dispose() => world.Dispose();

    private static bool OpensDeviceMapperControl()
    {
        using BlockDiskseq.Native.SafeFd fd = BlockDiskseq.Native.LibC.open("/dev/mapper/control", BlockDiskseq.Native.LibC.O_RDWR | BlockDiskseq.Native.LibC.O_CLOEXEC, 0);
        return !fd.IsInvalid;
    }

    [IntegrationFact]
    public void SnapshotAddThenRemove()
    {
        TestImage origin = world.Image("base.img");
        TestImage cow = world.Image("vm.cow");
        TestBackend be = world.Backend(70, 51712, $"snapshot:origin={origin.Path},cow={cow.Path}");

        HotplugResult add = world.Run(be, "add");

        if (!HostHasDeviceMapper)
        {
            Assert.True(add.ExitCode == 1, add.ToString());
            Assert.Contains("/dev/mapper/control", be["hotplug-error"]); // missing, or no driver behind it
            Assert.Equal("error", be["hotplug-status"]);
        }
        else
        {
            Assert.True(add.ExitCode == 0, add.ToString());
            Assert.Matches("^loop 7:[0-9a-f]+ [0-9a-f]+;loop 7:[0-9a-f]+ [0-9a-f]+;dm [0-9a-f]+:[0-9a-f]+ [0-9a-f]+$", be["block-diskseq/layers"]);
            Assert.EndsWith(be["physical-device"]! + " " + be["diskseq"], be["block-diskseq/layers"]);
            be.Blkback!.Shutdown();
            HotplugResult remove = world.Run(be, "remove");
            Assert.True(remove.ExitCode == 0, remove.ToString());
        }
        Assert.Equal(0, HotplugHarness.LoopsLeft(origin));
        Assert.Equal(0, HotplugHarness.LoopsLeft(cow));
    }

    [IntegrationTheory]
    [InlineData("snapshot:origin=/x", "w", "busy")]
    [InlineData("slice:path=/x,offset=0,sectors=8", "w", "busy")]
    [InlineData("slice:path=/x,offset=0,sectors=8", "r", "busy")]
    public void TargetsAreCheckedForSharingBeforeAnyDeviceExists(string form, string mode, string status)
    {
        TestImage image = world.Image();
        TestBackend writer = world.Backend(71, 51712, image.Path, "w");
        world.Succeed(writer, "add");
        TestBackend be = world.Backend(72, 51712, form.Replace("/x", image.Path), mode);

        HotplugResult add = world.Run(be, "add");

        Assert.True(add.ExitCode == 1, add.ToString());
        Assert.Equal(status, be["hotplug-status"]);
        // A snapshot reads its origin, so even a writable snapshot meets the writer as a reader.
        string wanted = form.StartsWith("snapshot:", StringComparison.Ordinal) || mode == "r" ? "read-only now" : "mounted now";
        Assert.Contains($"is mounted {(wanted == "read-only now" ? "read-write " : "")}in a guest domain (domain 71", be["hotplug-error"]);
        Assert.EndsWith(wanted + ".", be["hotplug-error"]);
        Assert.Equal(1, image.BoundLoops);
    }

    [IntegrationTheory]
    [InlineData("snapshot:", "params \"snapshot:\"")]
    [InlineData("snapshot:origin=/x,cow=/x", "origin and cow are the same path")]
    [InlineData("slice:path=/x,offset=0", "the device-mapper forms are")]
    [InlineData("slice:path=/x,offset=0,sectors=0", "sectors= must be at least 1")]
    public void MalformedFormsFailClearly(string form, string error)
    {
        TestImage image = world.Image();
        TestBackend be = world.Backend(73, 51712, form.Replace("/x", image.Path));

        HotplugResult add = world.Run(be, "add");

        Assert.True(add.ExitCode == 1, add.ToString());
        Assert.Contains(error, be["hotplug-error"]);
        Assert.Equal(0, image.BoundLoops);
    }

    [IntegrationFact]
    public void OriginAndCowThatAreOneFileAreRefused()
    {
        TestImage image = world.Image();
        string link = Path.Combine(world.Root, "cow-link");
        File.CreateSymbolicLink(link, image.Path);
        TestBackend be = world.Backend(74, 51712, $"snapshot:origin={image.Path},cow={link}");

        HotplugResult add = world.Run(be, "add");

        Assert.True(add.ExitCode == 1, add.ToString());
        Assert.Equal($"{image.Path} and {link} are the same file: a snapshot needs its own COW", be["hotplug-error"]);
    }

    [IntegrationFact]
    public void RemoveOfARecordedDmLayerWhereNoneExists()
    {
        TestImage image = world.Image();
        TestBackend be = world.Backend(75, 51712, $"snapshot:origin={image.Path}");
        be.Write("physical-device", "fd:7ff");
        be.Write("diskseq", "ffffffff");
        be.Write("block-diskseq/layers", "dm fd:7ff ffffffff");

        HotplugResult remove = world.Run(be, "remove");

        Assert.True(remove.ExitCode == 0, remove.ToString());
        Assert.Null(be["physical-device"]);
        Assert.Null(be["block-diskseq/layers"]);
    }
}
