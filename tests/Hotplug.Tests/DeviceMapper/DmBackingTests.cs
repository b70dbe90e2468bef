using BlockDiskseq.DeviceMapper;
using BlockDiskseq.Devices;
using BlockDiskseq.Native;
using BlockDiskseq.TestSupport;
using Xunit;

namespace BlockDiskseq.Tests.DeviceMapper;

/// <summary>The devices under a dm table, with real loop devices (root; dm-mod is not needed).</summary>
[Collection(LoopDeviceCollection.Name)]
public class DmBackingTests
{
    [RootFact]
    public void AFileGetsALoopDeviceHeldWithoutAnExclusiveClaim()
    {
        using var scratch = new LoopScratch();
        string image = scratch.CreateImage(size: 4 << 20);
        OpenedTarget target = scratch.Open(image, AccessMode.Write);
        DmBacking backing = scratch.Own(DmBacking.Open(target, readOnly: false));
        LoopDevice loop = Assert.IsType<LoopDevice>(backing.Loop);
        Assert.Equal(loop.Device, backing.Device);
        Assert.Equal(LibC.LOOP_MAJOR, backing.Device.Major);
        Assert.Equal(8192UL, backing.Sectors);
        Assert.True(loop.Fd.IsClosed, "LoopDevice's O_EXCL fd is relinquished");
        Assert.Equal("0", LoopScratch.SysBlock(loop.Number, "ro"));

        // What dm does at TABLE_LOAD: claim the device exclusively. LoopDevice's own O_EXCL fd would make it EBUSY.
        using (SafeFd claim = LibC.open(loop.Path, LibC.O_RDONLY | LibC.O_EXCL | LibC.O_CLOEXEC, 0))
            Assert.False(claim.IsInvalid, $"exclusive open of {loop.Path} failed with errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        Assert.Equal(image, LoopScratch.SysBlock(loop.Number, "loop/backing_file"));

        backing.Dispose();   // our shared fd was the last opener: autoclear detaches
        Assert.Empty(LoopsLeft.On(image));
    }

    [RootFact]
    public void ReadOnlyBackingsAreReadOnlyLoops()
    {
        using var scratch = new LoopScratch();
        string image = scratch.CreateImage(size: 1 << 20);
        DmBacking backing = scratch.Own(DmBacking.Open(scratch.Open(image, AccessMode.Read), readOnly: true));
        Assert.Equal("1", LoopScratch.SysBlock(backing.Loop!.Number, "ro"));
        Assert.Equal(2048UL, backing.Sectors);
    }

    [RootFact]
    public void ABlockDeviceIsUsedAsItIs()
    {
        using var scratch = new LoopScratch();
        string image = scratch.CreateImage(size: 2 << 20);
        LoopDevice existing = scratch.Attach(image);
        OpenedTarget device = scratch.Open(existing.Path, AccessMode.Write);
        DmBacking backing = scratch.Own(DmBacking.Open(device, readOnly: false));
        Assert.Null(backing.Loop);
        Assert.Equal(existing.Device, backing.Device);
        Assert.Equal(4096UL, backing.Sectors);
    }
}
