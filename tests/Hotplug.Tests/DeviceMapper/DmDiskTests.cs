using System.IO;
using System.Linq;
using BlockDiskseq.DeviceMapper;
using BlockDiskseq.Devices;
using BlockDiskseq.Native;
using BlockDiskseq.Reporting;
using BlockDiskseq.TestSupport;
using Xunit;

namespace BlockDiskseq.Tests.DeviceMapper;

/// <summary>
/// Whole dm stacks over real loop devices and files; the dm device itself is FakeDmKernel, which claims
/// the devices its table names (O_EXCL, as dm_get_device does) until the device is removed.
/// </summary>
[Collection(LoopDeviceCollection.Name)]
public class DmDiskTests
{
    private static readonly DmName Name = DmName.Create(3, 51712, "snap");

    private sealed class Stack : System.IDisposable
    {
        public LoopScratch Scratch { get; } = new();
        public FakeDmKernel Kernel { get; } = new() { HoldTableDevices = true };
        public DmControl Dm { get; }
        public string CowDir { get; }

        public Stack()
        {
            Dm = new DmControl(Kernel.Ioctl);
            CowDir = Directory.CreateDirectory(Path.Combine(Scratch.Dir, "cow")).FullName;
        }

        /// <summary>Our node fd counts as an opener, as on the real kernel.</summary>
        public DmNode? OpenNode(DeviceNumber device)
        {
            FakeDmKernel.Device? d = Kernel.Devices.Find(x => x.Minor == device.Minor);
            if (d is null)
                return null;
            d.OpenCount++;
            return new DmNode(LibC.open("/dev/null", LibC.O_RDONLY | LibC.O_CLOEXEC, 0), $"/dev/dm-{d.Minor}", device, d.Diskseq, d.Name, d.Uuid);
        }

        public string Line => Assert.Single(Assert.Single(Kernel.Devices).ActiveTable!);

        public void Dispose()
        {
            foreach (FakeDmKernel.Device d in Kernel.Devices.ToList())
            {
                d.OpenCount = 1;
                d.DeferredRemove = true;
                Kernel.Close(d);   // releases the claimed loop devices before the scratch detaches leftovers
            }
            Scratch.Dispose();
        }
    }

    [RootFact]
    public void ThrowawaySnapshotLivesUntilTheLastCloseAndLeavesNothing()
    {
        using var stack = new Stack();
        string image = stack.Scratch.CreateImage(size: 4 << 20);
        OpenedTarget origin = stack.Scratch.Open(image, AccessMode.Read);
        var spec = new ThrowawaySnapshotSpec(new DiskTarget(image), null);
        using DmDisk disk = DmDisk.Throwaway(stack.Dm, Name, origin, spec, readOnly: false, stack.CowDir, stack.OpenNode);

        LoopDevice originLoop = disk.Loops[0], cowLoop = disk.Loops[1];
        Assert.Equal($"0 8192 snapshot 7:{originLoop.Device.Minor} 7:{cowLoop.Device.Minor} N 8", stack.Line);
        Assert.Equal("1", LoopScratch.SysBlock(originLoop.Number, "ro"));
        Assert.Equal("0", LoopScratch.SysBlock(cowLoop.Number, "ro"));
        Assert.Equal("8192", LoopScratch.SysBlock(cowLoop.Number, "size"));   // default COW: the origin's size
        Assert.Empty(Directory.GetFileSystemEntries(stack.CowDir));
        FakeDmKernel.Device top = Assert.Single(stack.Kernel.Devices);
        Assert.True(top.DeferredRemove);

        disk.Relinquish();   // blkback would hold it now; the stack stays as long as the table holds the loops
        Assert.Equal(image, LoopScratch.SysBlock(originLoop.Number, "loop/backing_file"));
        stack.Kernel.Close(top);   // the last close: dm removes the device and lets go of the loop devices
        Assert.Empty(stack.Kernel.Devices);
        Assert.Empty(LoopsLeft.On(image));
        Assert.True(LoopsLeft.Settle(() => LoopScratch.SysBlock(cowLoop.Number, "loop/backing_file") is null));
    }

    [RootFact]
    public void PersistentSnapshotKeepsTheCowWritableAndTheOriginReadOnly()
    {
        using var stack = new Stack();
        string image = stack.Scratch.CreateImage("base.img", size: 2 << 20);
        string cowImage = stack.Scratch.CreateImage("vm.cow", size: 1 << 20);
        using DmDisk disk = DmDisk.Snapshot(stack.Dm, Name, stack.Scratch.Open(image, AccessMode.Read),
            stack.Scratch.Open(cowImage, AccessMode.Write), 16, readOnly: false, stack.OpenNode);
        Assert.Equal($"0 4096 snapshot 7:{disk.Loops[0].Device.Minor} 7:{disk.Loops[1].Device.Minor} P 16", stack.Line);
        Assert.Equal(cowImage, LoopScratch.SysBlock(disk.Loops[1].Number, "loop/backing_file"));
        Assert.Equal("0", LoopScratch.SysBlock(disk.Loops[1].Number, "ro"));
        Assert.False(stack.Kernel.Devices[0].ActiveReadOnly);
    }

    [RootFact]
    public void AFailedTableLoadLeavesNoDeviceAndNoFile()
    {
        using var stack = new Stack();
        string image = stack.Scratch.CreateImage(size: 1 << 20);
        stack.Kernel.FailNext = request => request == LibC.DM_TABLE_LOAD ? LibC.EINVAL : null;
        Assert.Throws<NativeException>(() => DmDisk.Throwaway(stack.Dm, Name, stack.Scratch.Open(image, AccessMode.Read),
            new ThrowawaySnapshotSpec(new DiskTarget(image), null), readOnly: false, stack.CowDir, stack.OpenNode));
        Assert.Empty(stack.Kernel.Devices);
        Assert.Empty(LoopsLeft.On(image));
        Assert.Empty(Directory.GetFileSystemEntries(stack.CowDir));
    }

    [RootFact]
    public void ASliceOutsideItsFileFailsBeforeAnyDmDevice()
    {
        using var stack = new Stack();
        string image = stack.Scratch.CreateImage(size: 1 << 20);
        var spec = new SliceSpec(new DiskTarget(image), 2000, 100);
        var e = Assert.Throws<HotplugFailure>(() => DmDisk.Slice(stack.Dm, DmName.Create(3, 51712, "slice"),
            stack.Scratch.Open(image, AccessMode.Write), spec, readOnly: false, stack.OpenNode));
        Assert.Contains("which has 2048 sectors", e.Message);
        Assert.Empty(stack.Kernel.Devices);
        Assert.Empty(LoopsLeft.On(image));
    }

    [RootFact]
    public void AReadOnlySliceIsReadOnlyAllTheWay()
    {
        using var stack = new Stack();
        string image = stack.Scratch.CreateImage(size: 1 << 20);
        var spec = new SliceSpec(new DiskTarget(image), 1024, 512);
        using DmDisk disk = DmDisk.Slice(stack.Dm, DmName.Create(3, 51712, "slice"), stack.Scratch.Open(image, AccessMode.Read),
            spec, readOnly: true, stack.OpenNode);
        Assert.Equal($"0 512 linear 7:{disk.Loops[0].Device.Minor} 1024", stack.Line);
        Assert.Equal("1", LoopScratch.SysBlock(disk.Loops[0].Number, "ro"));
        Assert.True(stack.Kernel.Devices[0].InactiveTable is null && stack.Kernel.Devices[0].ActiveReadOnly);
    }
}
