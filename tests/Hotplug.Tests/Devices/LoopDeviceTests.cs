using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using BlockDiskseq.Devices;
using BlockDiskseq.Native;
using BlockDiskseq.Reporting;
using BlockDiskseq.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace BlockDiskseq.Tests.Devices;

[Collection(LoopDeviceCollection.Name)]
public class LoopDeviceTests(ITestOutputHelper output)
{
    [RootFact]
    public void AttachReportsTheDeviceAndDiskseqSysfsShows()
    {
        using var scratch = new LoopScratch();
        string image = scratch.CreateImage();
        LoopDevice loop = scratch.Attach(image);

        Assert.True(loop.Created);
        Assert.Equal($"/dev/loop{loop.Number}", loop.Path);
        Assert.Equal($"{loop.Device.Major}:{loop.Device.Minor}", LoopScratch.SysBlock(loop.Number, "dev"));
        Assert.Equal(ulong.Parse(LoopScratch.SysBlock(loop.Number, "diskseq")!), loop.Diskseq);
        Assert.Equal(image, LoopScratch.SysBlock(loop.Number, "loop/backing_file"));
        output.WriteLine($"{loop.Path} {loop.Device} diskseq {loop.Diskseq} ({DiskSequence.Format(loop.Diskseq)})");
    }

    [RootFact]
    public void AttachSetsAutoclearAnd512ByteBlocksButNoPartscanOrDirectIo()
    {
        using var scratch = new LoopScratch();
        LoopDevice loop = scratch.Attach(scratch.CreateImage());

        Assert.Equal("1", LoopScratch.SysBlock(loop.Number, "loop/autoclear"));
        Assert.Equal("0", LoopScratch.SysBlock(loop.Number, "loop/partscan"));
        Assert.Equal("0", LoopScratch.SysBlock(loop.Number, "loop/dio"));
        Assert.Equal("512", LoopScratch.SysBlock(loop.Number, "queue/logical_block_size"));
        Assert.Equal("0", LoopScratch.SysBlock(loop.Number, "ro"));
    }

    [RootFact]
    public void WritesThroughAWritableLoopReachTheImage()
    {
        using var scratch = new LoopScratch();
        string image = scratch.CreateImage();
        LoopDevice loop = scratch.Attach(image);
        byte[] block = Enumerable.Repeat((byte)0xa5, 512).ToArray();

        using (var device = File.OpenHandle(loop.Path, FileMode.Open, FileAccess.ReadWrite))
        {
            RandomAccess.Write(device, block, 4096);
            RandomAccess.FlushToDisk(device);
        }

        byte[] onDisk = new byte[512];
        using (FileStream file = File.OpenRead(image))
        {
            file.Position = 4096;
            file.ReadExactly(onDisk);
        }
        Assert.Equal(block, onDisk);
    }

    [RootFact]
    public void ReadOnlyAttachRefusesWrites()
    {
        using var scratch = new LoopScratch();
        LoopDevice loop = scratch.Attach(scratch.CreateImage(), readOnly: true);

        Assert.Equal("1", LoopScratch.SysBlock(loop.Number, "ro"));
        // Linux lets a read-only disk be opened for writing and fails the write itself (EPERM).
        Exception? refused = Record.Exception(() =>
        {
            using var device = File.OpenHandle(loop.Path, FileMode.Open, FileAccess.ReadWrite);
            RandomAccess.Write(device, new byte[512], 0);
        });
        Assert.True(refused is IOException or UnauthorizedAccessException, $"write was not refused: {refused}");
        output.WriteLine($"write refused: {refused!.GetType().Name}: {refused.Message}");
    }

    [RootFact]
    public void DisposeLeavesNoLoopBoundToTheImage()
    {
        using var scratch = new LoopScratch();
        string image = scratch.CreateImage();
        LoopDevice loop = scratch.Attach(image);
        Assert.Equal([loop.Device], LoopScratch.LoopsBackedBy(image));

        loop.Dispose();

        Assert.True(loop.Fd.IsClosed);
        Assert.Empty(LoopsLeft.On(image));
        Assert.Empty(LoopScratch.LoopsBackedBy(image));
    }

    [RootFact]
    public void RelinquishedDeviceLivesUntilTheLastOtherOpenerCloses()
    {
        using var scratch = new LoopScratch();
        string image = scratch.CreateImage();
        LoopDevice loop = scratch.Attach(image);
        // Stands in for blkback, which opens the device by number and holds it.
        SafeFd holder = NativeException.Check(LibC.open(loop.Path, LibC.O_RDONLY | LibC.O_CLOEXEC, 0), "open", loop.Path);

        loop.Relinquish();
        loop.Dispose();   // after Relinquish: nothing left to do, must not detach

        Assert.True(loop.Fd.IsClosed);
        Assert.Equal(image, LoopScratch.SysBlock(loop.Number, "loop/backing_file"));
        Assert.Equal([loop.Device], LoopScratch.LoopsBackedBy(image));
        holder.Dispose();
        Assert.Empty(LoopsLeft.On(image));
    }

    [RootFact]
    public void OpenExistingFindsTheSameBindingWithoutTakingOwnership()
    {
        using var scratch = new LoopScratch();
        string image = scratch.CreateImage();
        LoopDevice loop = scratch.Attach(image);

        using (LoopDevice? found = LoopDevice.OpenExisting(loop.Device))
        {
            Assert.NotNull(found);
            Assert.False(found.Created);
            Assert.True(found.IsBound);
            Assert.Equal((loop.Number, loop.Path, loop.Device, loop.Diskseq), (found.Number, found.Path, found.Device, found.Diskseq));
        }

        // Closing a found device detaches nothing.
        Assert.Equal(image, LoopScratch.SysBlock(loop.Number, "loop/backing_file"));
        Assert.True(loop.IsBound);
    }

    [RootFact]
    public void OpenExistingAfterDetachSeesAnotherDiskseq()
    {
        using var scratch = new LoopScratch();
        string image = scratch.CreateImage();
        LoopDevice loop = scratch.Attach(image);
        (DeviceNumber device, ulong recorded) = (loop.Device, loop.Diskseq);
        loop.Relinquish(); // as after blkback's last close: autoclear detaches it, the device stays (remove deletes it)
        Assert.Empty(LoopsLeft.On(image));

        using LoopDevice? found = LoopDevice.OpenExisting(device);

        // The node stays (unbound, or already reused by someone else): the diskseq tells remove it is not ours.
        // Linux 6.5+ bumps it on detach (b90ecc0379eb); any new attach bumps it too.
        Assert.NotNull(found);
        Assert.NotEqual(recorded, found.Diskseq);
        output.WriteLine($"{device}: diskseq {recorded} while bound, {found.Diskseq} after detach");
    }

    [RootFact]
    public unsafe void OpenExistingReturnsNullForARemovedDevice()
    {
        using SafeFd control = NativeException.Check(
            LibC.open(LoopDevice.ControlPath, LibC.O_RDWR | LibC.O_CLOEXEC, 0), "open", LoopDevice.ControlPath);
        // A device of our own making: LOOP_CTL_REMOVE refuses (EBUSY) one that anybody has open or bound.
        int number = NativeException.Check(LibC.ioctl(control, LibC.LOOP_CTL_ADD, -1), "ioctl(LOOP_CTL_ADD)", null);
        DeviceNumber.TryParse(
            string.Join(":", LoopScratch.SysBlock(number, "dev")!.Split(':').Select(p => uint.Parse(p).ToString("x"))),
            out DeviceNumber device);
        Assert.Equal(LibC.LOOP_MAJOR, device.Major);
        NativeException.Check(LibC.ioctl(control, LibC.LOOP_CTL_REMOVE, number), "ioctl(LOOP_CTL_REMOVE)", null);

        Assert.Null(LoopDevice.OpenExisting(device));
        Assert.Null(LoopDevice.OpenExisting(new DeviceNumber(LibC.LOOP_MAJOR, DeviceNumber.MaxMinor)));
    }

    [Fact]
    public void OpenExistingRefusesOtherMajors()
    {
        var e = Assert.Throws<HotplugFailure>(() => LoopDevice.OpenExisting(new DeviceNumber(8, 0)));
        Assert.Equal("8:0 is not a loop device (major 7)", e.Message);
    }

    [RootFact]
    public void DetachWhileOthersHoldTheDeviceIsDeferredToTheLastClose()
    {
        using var scratch = new LoopScratch();
        string image = scratch.CreateImage();
        LoopDevice loop = scratch.Attach(image);
        LoopDevice found = LoopDevice.OpenExisting(loop.Device)!;

        found.Detach();
        Assert.Equal(image, LoopScratch.SysBlock(loop.Number, "loop/backing_file"));
        found.Dispose();
        loop.Relinquish();
        Assert.Empty(LoopsLeft.On(image));

        // Detaching an unbound device is not an error (ENXIO: already done).
        using LoopDevice? again = LoopDevice.OpenExisting(loop.Device);
        if (again is { IsBound: false })
            again.Detach();
    }

    [RootFact]
    public void AttachRefusesABlockDeviceTarget()
    {
        using var scratch = new LoopScratch();
        LoopDevice loop = scratch.Attach(scratch.CreateImage());
        OpenedTarget device = scratch.Open(loop.Path, AccessMode.Read);
        Assert.Throws<ArgumentException>(() => LoopDevice.Attach(device, readOnly: true));
    }

    [RootFact]
    public void AttachRefusesAWritableLoopOnAReadOnlyOpen()
    {
        using var scratch = new LoopScratch();
        string image = scratch.CreateImage();
        OpenedTarget readOnly = scratch.Open(image, AccessMode.Read);
        Assert.False(readOnly.Writable);
        Assert.Throws<ArgumentException>(() => LoopDevice.Attach(readOnly, readOnly: false));
        Assert.Empty(LoopScratch.LoopsBackedBy(image));
    }

    [RootFact]
    public async Task EightParallelAttachesGetDistinctDevices()
    {
        const int count = 8;
        using var scratch = new LoopScratch();
        OpenedTarget[] targets = WritableImages(scratch, "disk", count);
        var times = new double[count];

        LoopDevice[] loops = await AttachAtOnce(targets, times);
        foreach (LoopDevice loop in loops)
            scratch.Own(loop);

        Assert.Equal(count, loops.Select(l => l.Device).Distinct().Count());
        Assert.Equal(count, loops.Select(l => l.Diskseq).Distinct().Count());
        for (int i = 0; i < count; i++)
            Assert.Equal(targets[i].Path, LoopScratch.SysBlock(loops[i].Number, "loop/backing_file"));
        output.WriteLine(string.Join("; ", loops.Select((l, i) => $"{l.Path} attempts {l.Attempts} {times[i]:F1} ms")));
    }

    /// <summary>
    /// A lost race for a free device moves on to the next existing one instead of making a new device, so
    /// repeated bursts of parallel adds (VM farms starting many guests) do not grow the pool without end: a
    /// second burst as large as the first finds the devices the first one left free.
    /// </summary>
    [RootFact]
    public async Task ParallelBurstsReuseTheFreeDevicesOfEarlierOnes()
    {
        using var scratch = new LoopScratch();
        OpenedTarget[] targets = WritableImages(scratch, "burst", 8);

        await AttachAndDetachAtOnce(targets);
        int afterFirst = LoopDeviceCount();
        await AttachAndDetachAtOnce(targets);
        await AttachAndDetachAtOnce(targets);

        Assert.True(LoopDeviceCount() <= afterFirst, $"{LoopDeviceCount()} loop devices after three bursts, {afterFirst} after one");
    }

    private static async Task AttachAndDetachAtOnce(OpenedTarget[] targets)
    {
        LoopDevice[] loops = await AttachAtOnce(targets, new double[targets.Length]);
        Assert.Equal(targets.Length, loops.Select(l => l.Device).Distinct().Count());
        foreach (LoopDevice loop in loops)
            loop.Dispose(); // ours and never relinquished: detached here
    }

    /// <summary>One Attach per target, all released at once; each one's time goes to <paramref name="times"/>.</summary>
    private static async Task<LoopDevice[]> AttachAtOnce(OpenedTarget[] targets, double[] times)
    {
        using var start = new Barrier(targets.Length);
        return await Task.WhenAll(targets.Select((target, i) => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            var clock = Stopwatch.StartNew();
            LoopDevice loop = LoopDevice.Attach(target, readOnly: false);
            times[i] = clock.Elapsed.TotalMilliseconds;
            return loop;
        }, TaskCreationOptions.LongRunning)));
    }

    private static OpenedTarget[] WritableImages(LoopScratch scratch, string prefix, int count)
        => [.. Enumerable.Range(0, count).Select(i => scratch.Open(scratch.CreateImage($"{prefix}{i}.img"), AccessMode.Write))];

    private static int LoopDeviceCount() => Directory.GetDirectories("/sys/block", "loop*").Length;
}
