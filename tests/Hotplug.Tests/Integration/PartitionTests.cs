using System;
using System.IO;
using System.Threading;
using BlockDiskseq.Devices;
using BlockDiskseq.TestSupport;
using Xunit;

namespace BlockDiskseq.Tests.Integration;

/// <summary>
/// Issue 12, item 2: a whole disk and its partitions share sectors. The sharing checks and a snapshot's
/// COW check treat them as one, in both directions; partitions apart from each other stay independent.
/// The disk: a loop device with a partition scan (LO_FLAGS_PARTSCAN, losetup -P) over an image whose MBR
/// has two partitions.
/// </summary>
[Collection(LoopDeviceCollection.Name)]
public sealed class PartitionTests : IDisposable
{
    private readonly HotplugHarness world = new();
    private readonly PartitionedDisk disk;

    public PartitionTests() => disk = new PartitionedDisk(world.Image("partitioned.img", 16 << 20).Path);

    public void Dispose()
    {
        try
        {
            disk.Dispose();
        }
        finally
        {
            world.Dispose();
        }
    }

    [IntegrationTheory]
    [InlineData("w", "is mounted in the privileged domain")]
    [InlineData("r", "is mounted read-write in the privileged domain")]
    public void TheWholeDiskIsBusyWhileAPartitionIsMounted(string mode, string how)
    {
        string mountPoint = disk.MountFirstPartition(Path.Combine(world.Root, "mnt"));
        TestBackend be = world.Backend(70, 51712, disk.Path, mode);

        HotplugResult add = world.Run(be, "add");

        Assert.True(add.ExitCode == 1, add.ToString());
        Assert.Equal("busy", be["hotplug-status"]);
        Assert.StartsWith($"Device {disk.Path} ({disk.Whole}) overlaps {disk.Name}p1 ({disk.First}), which {how} (on {mountPoint})",
                          be["hotplug-error"]);
        Assert.Null(be["physical-device"]);
    }

    [IntegrationFact]
    public void AnotherPartitionIsFreeWhileOneIsMounted()
    {
        disk.MountFirstPartition(Path.Combine(world.Root, "mnt"));
        TestBackend be = world.Backend(71, 51712, disk.PartitionPath(2), "w");

        HotplugResult add = world.Run(be, "add");

        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.Equal(disk.Second.ToString(), be["physical-device"]);
        be.Blkback!.Shutdown();
        world.Succeed(be, "remove");
    }

    [IntegrationTheory]
    [InlineData(true)]   // a partition while another guest has the whole disk
    [InlineData(false)]  // the whole disk while another guest has a partition
    public void ADiskAndItsPartitionAreNotGivenToTwoGuests(bool partitionSecond)
    {
        (string firstPath, string secondPath) = partitionSecond ? (disk.Path, disk.PartitionPath(1)) : (disk.PartitionPath(1), disk.Path);
        TestBackend first = world.Backend(72, 51712, firstPath, "w");
        world.Succeed(first, "add");
        TestBackend second = world.Backend(73, 51712, secondPath, "w");

        HotplugResult add = world.Run(second, "add");

        Assert.True(add.ExitCode == 1, add.ToString());
        Assert.Equal("busy", second["hotplug-status"]);
        (DeviceNumber mine, string otherName, DeviceNumber other) = partitionSecond
            ? (disk.First, disk.Name, disk.Whole)
            : (disk.Whole, disk.Name + "p1", disk.First);
        Assert.Equal($"Device {secondPath} ({mine}) overlaps {otherName} ({other}), which is mounted in a guest domain "
            + "(domain 72, backend/vbd/72/51712), and so cannot be mounted now.", second["hotplug-error"]);
        first.Blkback!.Shutdown();
        world.Succeed(first, "remove");
    }

    [IntegrationTheory]
    [InlineData("partition")]
    [InlineData("same device")]
    public void ASnapshotsCowMustNotOverlapItsOrigin(string cow)
    {
        string cowPath = cow == "partition" ? disk.PartitionPath(1) : disk.SecondNode(Path.Combine(world.Root, "same-disk"));
        TestBackend be = world.Backend(74, 51712, $"snapshot:origin={disk.Path},cow={cowPath}", "w");

        HotplugResult add = world.Run(be, "add");

        Assert.True(add.ExitCode == 1, add.ToString());
        Assert.Equal("error", be["hotplug-status"]);
        string expected = cow == "partition"
            ? $"{disk.Path} ({disk.Whole}) and {cowPath} ({disk.First}) overlap: {disk.Name}p1 shares sectors with {disk.Name}; "
            : $"{disk.Path} and {cowPath} are the same block device ({disk.Whole}): ";
        Assert.Equal(expected + "a snapshot needs a COW apart from its origin", be["hotplug-error"]);
    }
}

/// <summary>
/// A loop device with partitions, attached by the test with losetup -P: an MBR written by hand (no sfdisk
/// needed) with partition 1 at sectors 2048-10239 and partition 2 at 10240-18431. Dispose unmounts what it
/// mounted and detaches the device.
/// </summary>
internal sealed class PartitionedDisk : IDisposable
{
    private static readonly (uint Start, uint Sectors)[] Layout = [(2048, 8192), (10240, 8192)];
    private string? mountPoint;

    public string Path { get; }
    public string Name => System.IO.Path.GetFileName(Path);
    public DeviceNumber Whole { get; }
    public DeviceNumber First => LoopScratch.StatusOf(PartitionPath(1)).RDev;
    public DeviceNumber Second => LoopScratch.StatusOf(PartitionPath(2)).RDev;

    public PartitionedDisk(string image)
    {
        WriteMbr(image);
        Path = Tools.Run("losetup", "--partscan", "--find", "--show", image).Trim();
        try
        {
            Whole = LoopScratch.StatusOf(Path).RDev;
            // A kernel built without the msdos parser (CONFIG_MSDOS_PARTITION, as on this project's VM) scans
            // and finds nothing: partx reads the table itself and adds the partitions with BLKPG.
            if (!SpinWait.SpinUntil(() => File.Exists(PartitionPath(2)), TimeSpan.FromSeconds(1)))
                Tools.Run("partx", "--add", Path);
            Assert.True(SpinWait.SpinUntil(() => File.Exists(PartitionPath(2)), TimeSpan.FromSeconds(10)), $"{PartitionPath(2)} did not appear");
        }
        catch
        {
            Tools.Run("losetup", "--detach", Path);
            throw;
        }
    }

    public string PartitionPath(int number) => $"{Path}p{number}";

    /// <summary>ext2 on partition 1, mounted read-write at the directory (made here).</summary>
    public string MountFirstPartition(string directory)
    {
        Assert.True(Tools.Exists("mkfs.ext2"), "mkfs.ext2 (e2fsprogs) is needed");
        Tools.Run("mkfs.ext2", "-q", "-F", PartitionPath(1));
        Directory.CreateDirectory(directory);
        Tools.Run("mount", PartitionPath(1), directory);
        mountPoint = directory;
        return directory;
    }

    /// <summary>Another node of the whole disk (as a /dev/mapper or by-id node made without udev would be).</summary>
    public string SecondNode(string path)
    {
        Assert.Equal(0, TestNative.mknod(path, BlockDiskseq.Native.LibC.S_IFBLK | 0x180, Whole.ToDevT()));
        return path;
    }

    private static void WriteMbr(string image)
    {
        byte[] sector = new byte[512];
        for (int i = 0; i < Layout.Length; i++)
        {
            int entry = 446 + 16 * i;
            sector[entry + 4] = 0x83; // Linux
            BitConverter.TryWriteBytes(sector.AsSpan(entry + 8), Layout[i].Start);
            BitConverter.TryWriteBytes(sector.AsSpan(entry + 12), Layout[i].Sectors);
        }
        sector[510] = 0x55;
        sector[511] = 0xAA;
        using FileStream file = File.OpenWrite(image);
        file.Write(sector);
    }

    public void Dispose()
    {
        try
        {
            if (mountPoint is not null)
                Tools.Run("umount", mountPoint);
        }
        finally
        {
            Tools.Run("losetup", "--detach", Path);
        }
    }
}
