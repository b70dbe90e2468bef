using System;
using System.IO;
using System.Net.Sockets;
using System.Threading.Tasks;
using BlockDiskseq.Devices;
using BlockDiskseq.Native;
using BlockDiskseq.Reporting;
using BlockDiskseq.TestSupport;
using Xunit;

namespace BlockDiskseq.Tests.Devices;

[Collection(LoopDeviceCollection.Name)]
public class OpenedTargetTests
{
    private static HotplugFailure Refused(string path, AccessMode mode = AccessMode.Read)
        => Assert.Throws<HotplugFailure>(() => OpenedTarget.Open(DiskTarget.Parse(path), mode).Dispose());

    [RootFact]
    public void OpensARegularFileOnceAndDescribesIt()
    {
        using var scratch = new LoopScratch();
        string image = scratch.CreateImage(size: 3 << 20);
        FileStatus expected = LoopScratch.StatusOf(image);

        OpenedTarget target = OpenedTarget.Open(DiskTarget.Parse(image), AccessMode.Write);
        using (target)
        {
            Assert.Equal(TargetKind.File, target.Kind);
            Assert.Equal(image, target.Path);
            Assert.Equal((expected.Dev, expected.Ino, expected.Mode), (target.StDev, target.StIno, target.StMode));
            Assert.Equal(3UL << 20, target.Size);
            Assert.Equal(default, target.Device);
        }
        Assert.True(target.Fd.IsClosed);
    }

    [RootFact]
    public void FollowsSymlinksToTheTarget()
    {
        using var scratch = new LoopScratch();
        string image = scratch.CreateImage();
        string link = Path.Combine(scratch.Dir, "link.img");
        File.CreateSymbolicLink(link, image);

        using OpenedTarget target = OpenedTarget.Open(DiskTarget.Parse(link), AccessMode.Read);
        Assert.Equal(LoopScratch.StatusOf(image).Ino, target.StIno);
        Assert.Equal(link, target.Path);
    }

    [RootFact]
    public void OpensABlockDeviceAndReportsItsNumber()
    {
        using var scratch = new LoopScratch();
        LoopDevice loop = scratch.Attach(scratch.CreateImage());

        using OpenedTarget target = OpenedTarget.Open(DiskTarget.Parse($"loop{loop.Number}"), AccessMode.Write);
        Assert.Equal(TargetKind.BlockDevice, target.Kind);
        Assert.Equal(loop.Path, target.Path);
        Assert.Equal(loop.Device, target.Device);
        Assert.Equal(loop.Diskseq, DiskSequence.Read(target.Fd, target.Path));
    }

    [Fact]
    public void RefusesADirectory()
    {
        string dir = Directory.CreateTempSubdirectory("block-diskseq-devices-").FullName;
        try
        {
            Assert.Equal($"{dir} is a directory, not a regular file or block device", Refused(dir).Message);
            // Read-write too: the type is checked on an O_PATH fd before any open for reading or writing.
            Assert.Equal($"{dir} is a directory, not a regular file or block device", Refused(dir, AccessMode.Write).Message);
        }
        finally
        {
            Directory.Delete(dir);
        }
    }

    [Fact]
    public async Task RefusesAFifoWithoutBlockingOnIt()
    {
        using var scratch = new LoopScratch();
        string fifo = Path.Combine(scratch.Dir, "fifo");
        Assert.Equal(0, TestNative.mkfifo(fifo, 0x180));

        // Without O_NONBLOCK a read-only open of a FIFO waits for a writer forever.
        Task<HotplugFailure> open = Task.Run(() => Refused(fifo));
        Assert.Same(open, await Task.WhenAny(open, Task.Delay(TimeSpan.FromSeconds(30))));
        Assert.Equal($"{fifo} is a FIFO, not a regular file or block device", (await open).Message);
        Assert.Contains("is a FIFO", Refused(fifo, AccessMode.Write).Message);
    }

    [Fact]
    public void RefusesASocketSayingSo()
    {
        using var scratch = new LoopScratch();
        string path = Path.Combine(scratch.Dir, "socket");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));

        Assert.Equal($"{path} is a socket, not a regular file or block device", Refused(path).Message);
    }

    [Fact]
    public void RefusesACharacterDevice()
        => Assert.Equal("/dev/null is a character device, not a regular file or block device", Refused("null").Message);

    [RootFact]
    public void RefusesADeviceNodeWithNoDevice()
    {
        using var scratch = new LoopScratch();
        string node = Path.Combine(scratch.Dir, "nodev");
        // Block major 60 is reserved for local/experimental use (Documentation/admin-guide/devices.txt): no driver.
        Assert.Equal(0, TestNative.mknod(node, LibC.S_IFBLK | 0x180, LibC.makedev(60, 0)));

        HotplugFailure e = Refused(node);
        Assert.StartsWith($"{node} is a device node (3c:0) with no device behind it (open on {node}:", e.Message);
        Assert.EndsWith("(ENXIO))", e.Message);
    }

    [Fact]
    public void RefusesAnEmptyFile()
    {
        using var scratch = new LoopScratch();
        string image = scratch.CreateImage(size: 0);
        Assert.Equal($"{image} is empty", Refused(image).Message);
    }

    /// <summary>Issue 21, item 9: the loop driver counts whole sectors, so 1-511 bytes would be a 0-sector disk.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(511)]
    public void RefusesAFileShorterThanOneSector(int size)
    {
        using var scratch = new LoopScratch();
        string image = scratch.CreateImage(size: size);
        Assert.Equal($"{image} is empty to a guest: {size} bytes, less than one 512-byte sector", Refused(image).Message);
    }

    [Fact]
    public void ReportsAMissingTargetWithErrno()
    {
        var e = Assert.Throws<NativeException>(() => OpenedTarget.Open(DiskTarget.Parse("/nonexistent/block-diskseq.img"), AccessMode.Read));
        Assert.Equal(LibC.ENOENT, e.Errno);
    }

    [RootFact]
    public void RefusesToWriteAnImageWithNoWriteBit()
    {
        using var scratch = new LoopScratch();
        string image = scratch.CreateImage(mode: UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        HotplugFailure e = Refused(image, AccessMode.Write);
        Assert.Equal($"File {image} is read-only, and so I will not mount it read-write in a guest domain.", e.Message);
        Assert.Equal(HotplugFailure.StatusBusy, e.Status);
        Assert.Throws<HotplugFailure>(() => OpenedTarget.Open(DiskTarget.Parse(image), AccessMode.Write));

        // r is fine, and w! overrides the rule as Xen's "!" does.
        using (OpenedTarget.Open(DiskTarget.Parse(image), AccessMode.Read)) { }
        using (OpenedTarget.Open(DiskTarget.Parse(image), AccessMode.WriteUnchecked)) { }
    }

    [RootFact]
    public void AnyWriteBitAllowsWriting()
    {
        using var scratch = new LoopScratch();
        string image = scratch.CreateImage(mode: UnixFileMode.UserRead | UnixFileMode.OtherWrite);
        using OpenedTarget target = OpenedTarget.Open(DiskTarget.Parse(image), AccessMode.Write);
        Assert.Equal(TargetKind.File, target.Kind);
    }
}
