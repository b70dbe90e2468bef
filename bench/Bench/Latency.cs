using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;

namespace BlockDiskseq.Bench;

/// <summary>Add/remove latencies of one script in libxl's order: remove only after the backend reached Closed.</summary>
internal static class Latency
{
    internal sealed record Sequential(Sample Add, Sample Remove);
    internal sealed record Parallel(int Count, double AddWallMs, double RemoveWallMs);

    public static Sequential MeasureSequential(World world, HotplugScript script, int runs)
    {
        var adds = new List<double>();
        var removes = new List<double>();
        for (int i = 0; i < runs; i++)
        {
            using Disk disk = world.Disk(domid: 10, imageIndex: 0);
            adds.Add(script.RunMilliseconds("add", disk.Backend.Relative, world.Server.SocketPath));
            Disk.EnsureHeld([disk]);
            disk.Blkback.Shutdown();
            removes.Add(script.RunMilliseconds("remove", disk.Backend.Relative, world.Server.SocketPath));
            Leaks.AssertNoLoopOn(world.Image(0));
        }
        return new Sequential(new Sample($"{script.Name} add", adds), new Sample($"{script.Name} remove", removes));
    }

    /// <summary>
    /// count adds of different images started at once, then their removes; wall time from the first start to
    /// the last exit, the median of <paramref name="rounds"/> rounds (one round swings by a third on 2 cores).
    /// </summary>
    public static Parallel MeasureParallel(World world, HotplugScript script, int count, int rounds)
    {
        List<Parallel> all = [.. Enumerable.Range(0, rounds).Select(_ => MeasureParallelOnce(world, script, count))];
        return new Parallel(count, new Sample("add", [.. all.Select(p => p.AddWallMs)]).Median,
            new Sample("remove", [.. all.Select(p => p.RemoveWallMs)]).Median);
    }

    private static Parallel MeasureParallelOnce(World world, HotplugScript script, int count)
    {
        List<Disk> disks = [.. Enumerable.Range(0, count).Select(i => world.Disk(domid: (uint)(100 + i), imageIndex: i))];
        try
        {
            double add = RunAll(world, script, "add", disks);
            Disk.EnsureHeld(disks);
            foreach (Disk disk in disks)
                disk.Blkback.Shutdown();
            double remove = RunAll(world, script, "remove", disks);
            for (int i = 0; i < count; i++)
                Leaks.AssertNoLoopOn(world.Image(i));
            return new Parallel(count, add, remove);
        }
        finally
        {
            foreach (Disk disk in disks)
                disk.Dispose();
        }
    }

    internal static double RunAll(World world, HotplugScript script, string verb, List<Disk> disks)
    {
        long started = Stopwatch.GetTimestamp();
        List<Process> processes = [.. disks.Select(d => script.Start(verb, d.Backend.Relative, world.Server.SocketPath))];
        foreach (Process process in processes)
        {
            script.Finish(process, verb);
            process.Dispose();
        }
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }
}
