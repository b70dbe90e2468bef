using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace BlockDiskseq.Bench;

/// <summary>
/// Issue 23: add makes a new loop device for every binding and remove deletes it (Devices/LoopPool.cs), so the
/// number of /dev/loop* devices must not grow with use. <see cref="Cycles"/> add/remove cycles in bursts of
/// <see cref="Burst"/> adds started at once, then their removes at once (a CI farm starting and stopping VMs):
/// the devices before, the most bound at once, and the devices after.
/// </summary>
internal static class PoolSize
{
    internal const int Cycles = 1000;
    internal const int Burst = 8;

    internal sealed record Result(int Before, int MostBound, int Most, int After, double Seconds);

    public static Result Measure(World world, HotplugScript script)
    {
        int before = LoopDevices(), most = before, mostBound = 0;
        var started = System.Diagnostics.Stopwatch.StartNew();
        for (int done = 0; done < Cycles; done += Burst)
        {
            List<Disk> disks = [.. Enumerable.Range(0, Burst).Select(i => world.Disk(domid: (uint)(300 + i), imageIndex: i))];
            try
            {
                Latency.RunAll(world, script, "add", disks);
                Disk.EnsureHeld(disks);
                mostBound = System.Math.Max(mostBound, BoundLoopDevices());
                most = System.Math.Max(most, LoopDevices());
                foreach (Disk disk in disks)
                    disk.Blkback.Shutdown();
                Latency.RunAll(world, script, "remove", disks);
                most = System.Math.Max(most, LoopDevices());
            }
            finally
            {
                foreach (Disk disk in disks)
                    disk.Dispose();
            }
        }
        return new Result(before, mostBound, most, LoopDevices(), started.Elapsed.TotalSeconds);
    }

    private static int LoopDevices() => Directory.EnumerateDirectories("/sys/block", "loop*").Count();

    // sysfs shows loop/ under a loop device only while a file is bound to it.
    private static int BoundLoopDevices() => Directory.EnumerateDirectories("/sys/block", "loop*").Count(d => Directory.Exists($"{d}/loop"));

    public static void Append(StringBuilder md, Result r)
    {
        md.AppendLine($"## The loop device pool after {Cycles:N0} add/remove cycles ({Burst} adds at once, then their removes)");
        md.AppendLine();
        md.AppendLine("Every add binds a loop device it has just made; remove deletes it (docs/design.md, \"Loop devices nobody may be");
        md.AppendLine("handed\"). Devices other programs made before the run are counted in \"before\" and never touched while in use.");
        md.AppendLine();
        md.AppendLine("| /dev/loop* before | most bound at once (all users) | most /dev/loop* during | after | wall time |");
        md.AppendLine("|---:|---:|---:|---:|---:|");
        md.AppendLine($"| {r.Before} | {r.MostBound} | {r.Most} | **{r.After}** ({r.After - r.Before:+0;-0;0}) | {r.Seconds:0.0} s |");
        md.AppendLine();
    }
}
