using System.Linq;
using BlockDiskseq.Devices;
using BlockDiskseq.Sharing;
using BlockDiskseq.TestSupport;
using Xunit;

namespace BlockDiskseq.Tests.Sharing;

[Collection(LoopDeviceCollection.Name)]
public class LocalUsageTests
{
    private const string MountInfo =
        "22 27 0:21 / /proc rw,relatime - proc proc rw\n" +
        "27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,errors=remount-ro\n" +
        "40 27 7:3 / /mnt/read\\040only ro,relatime - ext4 /dev/loop3 rw\n" +
        "41 27 7:4 / /mnt/ro-super rw,relatime shared:7 master:2 - ext4 /dev/loop4 ro\n" +
        "42 27 7:4 /sub /mnt/rw\\011tab rw - ext4 /dev/loop4 ro\n" +
        "43 27 7:5 / /mnt/first ro - ext4 /dev/loop5 rw\n" +
        "44 27 7:5 / /mnt/second rw - ext4 /dev/loop5 rw\n" +
        "45 27 0:50 / /mnt/btrfs rw - btrfs /dev/nonexistent-block-diskseq rw\n" +
        "garbage line\n";

    [Theory]
    [InlineData(254u, 0u, false, "/")]
    [InlineData(254u, 0u, true, "/")]
    [InlineData(7u, 3u, false, "/mnt/read only")]      // octal escapes are undone
    [InlineData(7u, 3u, true, null)]                   // mount read-only
    [InlineData(7u, 4u, false, "/mnt/ro-super")]
    [InlineData(7u, 4u, true, null)]                   // superblock read-only: no mount of it is writable
    [InlineData(7u, 5u, true, "/mnt/second")]          // the writable one of two mounts
    [InlineData(7u, 5u, false, "/mnt/first")]
    [InlineData(7u, 6u, false, null)]
    [InlineData(0u, 50u, false, "/mnt/btrfs")]
    public void FindsMountsByDeviceAndWritability(uint major, uint minor, bool writableOnly, string? expected)
        => Assert.Equal(expected, LocalUsage.MountPointIn(MountInfo, new DeviceNumber(major, minor), writableOnly));

    [Theory]
    [InlineData("7:0", 7u, 0u)]
    [InlineData("259:12", 259u, 12u)]
    [InlineData("7:", null, null)]
    [InlineData(":7", null, null)]
    [InlineData("7:0\n", null, null)]
    [InlineData("+7:0", null, null)]
    [InlineData("4096:0", null, null)]
    [InlineData(null, null, null)]
    public void ParsesDecimalDeviceNumbers(string? text, uint? major, uint? minor)
        => Assert.Equal(major is null ? null : new DeviceNumber(major.Value, minor!.Value), DeviceNumber.ParseDecimal(text));

    [Fact]
    public void FindsTheRootFilesystemsDevice()
    {
        // Whatever "/" lives on (a disk, or an overlay's anonymous 0:N), mountinfo lists it.
        FileStatus root = LoopScratch.StatusOf("/");
        Assert.NotNull(LocalUsage.MountPointOf(DeviceNumber.FromDevT(root.Dev), writableOnly: false));
    }

    [Fact]
    public void LoopNamesComeFromProcPartitionsWholeLoopDevicesOnly()
    {
        const string Partitions =
            "major minor  #blocks  name\n\n" +
            " 254        0   52428800 vda\n" +
            "   7        0      16384 loop0\n" +
            " 259        0       1024 loop0p1\n" +
            "   7     2048       4096 loop128\n" +
            "   7       12          1 loop012\n";  // not a name the kernel gives

        Assert.Equal(["loop0", "loop128"], LocalUsage.LoopNamesIn(Partitions));
    }

    [RootFact]
    public void LoopsBackedByFindsOurLoopsAndNoOthers()
    {
        using var scratch = new LoopScratch();
        string a = scratch.CreateImage("a.img");
        string b = scratch.CreateImage("b.img");
        string unused = scratch.CreateImage("unused.img");
        LoopDevice a1 = scratch.Attach(a);
        LoopDevice a2 = scratch.Attach(a, readOnly: true);
        LoopDevice b1 = scratch.Attach(b);

        Assert.Equal(new[] { a1.Device, a2.Device }.OrderBy(d => d.Minor), LoopScratch.LoopsBackedBy(a).OrderBy(d => d.Minor));
        Assert.Equal([b1.Device], LoopScratch.LoopsBackedBy(b));
        Assert.Empty(LoopScratch.LoopsBackedBy(unused));
    }

    /// <summary>
    /// Found by the reliability suite's storm: a loop device detached between /proc/partitions and the read of
    /// its loop/backing_file made that read fail with ENODEV (kernfs answers so for an attribute removed after
    /// the open), and the sharing check failed the add. A device that goes away meanwhile is not a user.
    /// </summary>
    [RootFact]
    public void AKernelFileWhoseObjectWentAwayAfterTheOpenReadsAsGone()
    {
        using var scratch = new LoopScratch();
        string image = scratch.CreateImage("detached.img");
        using OpenedTarget opened = OpenedTarget.Open(DiskTarget.Parse(image), AccessMode.Write);
        LoopDevice loop = LoopDevice.Attach(opened, readOnly: false);
        string attribute = $"/sys/dev/block/{loop.Device.Major}:{loop.Device.Minor}/loop/backing_file";
        using Microsoft.Win32.SafeHandles.SafeFileHandle? file = KernelFile.TryOpen(attribute);
        Assert.NotNull(file);

        loop.Dispose(); // the last close of an autoclear loop device detaches it, and sysfs drops loop/
        Assert.True(LoopsLeft.Settle(() => !System.IO.Directory.Exists(System.IO.Path.GetDirectoryName(attribute))));

        Assert.Null(KernelFile.TryRead(file, attribute));
    }

    [RootFact]
    public void LoopsBackedByFollowsTheInodeNotThePath()
    {
        using var scratch = new LoopScratch();
        string image = scratch.CreateImage("deleted.img");
        LoopDevice loop = scratch.Attach(image);
        FileStatus status = LoopScratch.StatusOf(image);
        System.IO.File.Delete(image);

        // sysfs now shows a path that names nothing; the inode still identifies the backing file.
        Assert.Equal(image + " (deleted)", LoopScratch.SysBlock(loop.Number, "loop/backing_file"));
        Assert.Equal([loop.Device], LocalUsage.LoopsBackedBy(status.Dev, status.Ino));
        loop.Dispose();
        Assert.Empty(LoopsLeft.On(status.Dev, status.Ino));
    }
}
