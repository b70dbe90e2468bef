using System;
using System.Collections.Generic;
using System.Diagnostics;
using BlockDiskseq.Backend;
using BlockDiskseq.Devices;
using XenstoreInterop;

namespace BlockDiskseq.Bench;

/// <summary>
/// The floor of one add: the work no implementation can skip, done here inside an already running process
/// with the same library calls the program makes: connect to Xenstore, read params/mode/state, open the
/// image, attach a loop device (LOOP_CTL_ADD, open, LOOP_CONFIGURE, BLKGETDISKSEQ), one transaction
/// writing diskseq and physical-device, and wait for blkback's "opened". Add an exec of /bin/true for the
/// process the toolstack must start, and that is the floor the report compares against.
/// The floor of one remove, the same way: after a real add (block-diskseq's own, untimed) and blkback's
/// close, connect to Xenstore, read the record, delete physical-device, diskseq and the record, and look at
/// the recorded loop device: open it, detach it only if it is still bound with the recorded diskseq
/// (after blkback's close, autoclear has usually detached it already), and delete it (LoopPool).
/// </summary>
internal static class Floor
{
    public static Sample MeasureAdd(World world, int runs)
    {
        // libxenstore reads the C environment; Environment.SetEnvironmentVariable only changes .NET's copy.
        TestXenstored.NativeEnvironment.Set("XENSTORED_PATH", world.Server.SocketPath);
        var times = new List<double>();
        for (int i = 0; i < runs; i++)
        {
            using Disk disk = world.Disk(domid: 20, imageIndex: 0);
            times.Add(MinimalAdd(disk.Backend.Relative, out int made));
            disk.Blkback.Shutdown();
            LoopPool.Release(made); // untimed: the floor of a remove pays it
            Leaks.AssertNoLoopOn(world.Image(0));
        }
        return new Sample("floor add (in-process)", times);
    }

    public static Sample MeasureRemove(World world, HotplugScript ours, int runs)
    {
        TestXenstored.NativeEnvironment.Set("XENSTORED_PATH", world.Server.SocketPath);
        var times = new List<double>();
        for (int i = 0; i < runs; i++)
        {
            using Disk disk = world.Disk(domid: 21, imageIndex: 0);
            _ = ours.RunMilliseconds("add", disk.Backend.Relative, world.Server.SocketPath);
            Disk.EnsureHeld([disk]);
            disk.Blkback.Shutdown();
            if (!BackendPath.TryParse(disk.Backend.Relative, out BackendPath? backend))
                throw new InvalidOperationException($"not a backend path: {disk.Backend.Relative}");
            times.Add(MinimalRemove(backend));
            Leaks.AssertNoLoopOn(world.Image(0));
        }
        return new Sample("floor remove (in-process)", times);
    }

    private static double MinimalRemove(BackendPath backend)
    {
        long started = Stopwatch.GetTimestamp();
        using Xenstore xs = Xenstore.Open();
        string recordNode = ExportNodes.RecordNode(backend);
        if (!DiskseqRecord.TryParse(xs.TryRead(recordNode), out DiskseqRecord record) || record.Top is not CreatedLayer layer)
            throw new InvalidOperationException($"the add left no record in {recordNode}");
        xs.Delete(backend.Node(BackendNodes.PhysicalDevice));
        xs.Delete(backend.Node(BackendNodes.Diskseq));
        xs.Delete(recordNode);
        int? number = null;
        using (LoopDevice? loop = LoopDevice.OpenExisting(layer.Device))
        {
            if (loop is not null && loop.IsBound && loop.Diskseq == layer.Diskseq)
                loop.Detach();
            number = loop?.Number;
        }
        if (number is int made)
            LoopPool.Release(made);
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    private static double MinimalAdd(string backend, out int made)
    {
        long started = Stopwatch.GetTimestamp();
        using Xenstore xs = Xenstore.Open();
        string parameters = xs.Read($"{backend}/params");
        _ = xs.Read($"{backend}/mode");
        _ = xs.Read($"{backend}/state");
        using OpenedTarget target = OpenedTarget.Open(DiskTarget.Parse(parameters), AccessMode.Write);
        using LoopDevice loop = LoopDevice.Attach(target, readOnly: false);
        xs.Watch($"{backend}/opened", "floor");
        _ = xs.WaitForWatchEvent(TimeSpan.FromSeconds(5)); // the registration event
        xs.Transact(tx =>
        {
            xs.Write($"{backend}/diskseq", DiskSequence.Format(loop.Diskseq), tx);
            xs.Write($"{backend}/physical-device", loop.Device.ToString(), tx);
        });
        while (xs.TryRead($"{backend}/opened") != "1")
            if (xs.WaitForWatchEvent(TimeSpan.FromSeconds(5)) is null)
                throw new TimeoutException("the emulated blkback never wrote opened=1");
        loop.Relinquish();
        made = loop.Number;
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }
}
