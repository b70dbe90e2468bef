using System.IO;
using System.Linq;
using BlockDiskseq.Devices;
using BlockDiskseq.Native;
using BlockDiskseq.Sharing;
using BlockDiskseq.TestSupport;
using Xunit;

namespace BlockDiskseq.Tests.Devices;

/// <summary>
/// The udev marker of a loop binding (hotplug/Devices/UdevMarker.cs) and the BSD lock that keeps udev away until
/// it exists. What udev does with the marker: UdevRuleTests.
/// </summary>
[Collection(LoopDeviceCollection.Name)]
public class UdevMarkerTests
{
    [RootFact]
    public void AttachMarksItsBindingAndReleasesTheLock()
    {
        using var scratch = new LoopScratch();
        LoopDevice loop = scratch.Attach(scratch.CreateImage());

        string marker = UdevMarker.PathOf(BackingLock.RunDir, $"loop{loop.Number}", loop.Diskseq);
        Assert.True(File.Exists(marker), $"{marker} does not exist");
        Assert.Equal(LoopScratch.SysBlock(loop.Number, "diskseq"), Path.GetFileName(marker));
        // The device is new: its "add" uevent carries the diskseq it had before the bind, and udevd may process
        // that event after the bind (the lab's udev-hide scenario saw loop9 assembled into md9 without this).
        ulong[] marked = [.. Directory.EnumerateFiles(Path.GetDirectoryName(marker)!).Select(f => ulong.Parse(Path.GetFileName(f))).Order()];
        Assert.Equal(2, marked.Length);
        Assert.True(marked[0] < loop.Diskseq, $"markers {string.Join(", ", marked)}, bound as {loop.Diskseq}");
        // udev (and anyone) may lock it again: the lock only covers the time until the marker exists.
        using SafeFd other = NativeException.Check(LibC.open(loop.Path, LibC.O_RDONLY | LibC.O_CLOEXEC, 0), "open", loop.Path);
        Assert.Equal(0, LibC.flock(other, LibC.LOCK_EX | LibC.LOCK_NB));
    }

    /// <summary>Attach makes its own device: one that exists free, even locked by someone, is never bound.</summary>
    [RootFact]
    public void AttachLeavesAFreeDeviceSomeoneHoldsLocked()
    {
        using var scratch = new LoopScratch();
        string image = scratch.CreateImage();
        using SafeFd control = NativeException.Check(LibC.open(LoopDevice.ControlPath, LibC.O_RDWR | LibC.O_CLOEXEC, 0), "open", LoopDevice.ControlPath);
        int free = NativeException.Check(LibC.ioctl(control, LibC.LOOP_CTL_GET_FREE, 0), "ioctl(LOOP_CTL_GET_FREE)", LoopDevice.ControlPath);
        using SafeFd locked = NativeException.Check(LibC.open($"/dev/loop{free}", LibC.O_RDONLY | LibC.O_CLOEXEC, 0), "open", $"/dev/loop{free}");
        Assert.Equal(0, LibC.flock(locked, LibC.LOCK_EX | LibC.LOCK_NB));

        LoopDevice loop = scratch.Attach(image);

        Assert.NotEqual(free, loop.Number);
        Assert.Null(LoopScratch.SysBlock(free, "loop/backing_file"));
    }

    [Fact]
    public void ANewBindingOfADeviceReplacesItsOldMarkerOnly()
    {
        string runDir = Directory.CreateTempSubdirectory("block-diskseq-run-").FullName;
        try
        {
            UdevMarker.Mark(runDir, "loop5", 10);
            UdevMarker.Mark(runDir, "loop6", 11);
            UdevMarker.Mark(runDir, "loop5", 12);

            Assert.Equal(["12"], Directory.EnumerateFiles($"{runDir}/udev/loop5").Select(Path.GetFileName));
            Assert.Equal(["11"], Directory.EnumerateFiles($"{runDir}/udev/loop6").Select(Path.GetFileName));
            Assert.Equal($"{runDir}/udev/loop5/12", UdevMarker.PathOf(runDir, "loop5", 12));
        }
        finally
        {
            Directory.Delete(runDir, recursive: true);
        }
    }
}
