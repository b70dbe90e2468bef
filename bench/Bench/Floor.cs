using System;
using System.Collections.Generic;
using System.Diagnostics;
using BlockDiskseq.Devices;
using XenstoreInterop;

namespace BlockDiskseq.Bench;

/// <summary>
/// The floor of one add: the work no implementation can skip, done here inside an already running process
/// with the same library calls the program makes: connect to Xenstore, read params/mode/state, open the
/// image, attach a loop device (LOOP_CTL_GET_FREE, open, LOOP_CONFIGURE, BLKGETDISKSEQ), one transaction
/// writing diskseq and physical-device, and wait for blkback's "opened". Add an exec of /bin/true for the
/// process the toolstack must start, and that is the floor the report compares against.
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
            times.Add(MinimalAdd(disk.Backend.Relative));
            disk.Blkback.Shutdown();
            Leaks.AssertNoLoopOn(world.Image(0));
        }
        return new Sample("floor add (in-process)", times);
    }

    private static double MinimalAdd(string backend)
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
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }
}
