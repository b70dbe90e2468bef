using System.Collections.Generic;
using System.IO;
using System.Text;

namespace BlockDiskseq.Bench;

/// <summary>
/// Issue 16: does an add cost more on a host with many disks? The same sequential add/remove as
/// Latency.MeasureSequential, in a world with no other backend and in one with <see cref="Others"/> other
/// backends whose devices blkback holds: each has libxl's and a script's nodes in Xenstore and its vbd with a
/// physical_device attribute under the sysfs root, as the kernel shows them. The rounds alternate between the
/// two worlds, so a change in the machine's load hits both alike. block-diskseq only: Xen's script reads every
/// backend with one process per read, which is what the case is about.
/// </summary>
internal static class HostScale
{
    internal const int Others = 1000;

    internal sealed record Case(int OtherBackends, Sample Add, double RequestsPerAdd);

    public static (Case None, Case Many) Measure(World empty, HotplugScript inEmpty, World crowded, HotplugScript inCrowded, int runs)
    {
        Populate(crowded, Others);
        var adds = new[] { new List<double>(), new List<double>() };
        var requests = new long[2];
        for (int i = 0; i < runs; i++)
        {
            for (int w = 0; w < 2; w++)
            {
                (World world, HotplugScript script) = w == 0 ? (empty, inEmpty) : (crowded, inCrowded);
                using Disk disk = world.Disk(domid: 10, imageIndex: 0);
                long before = world.Server.RequestCount;
                adds[w].Add(script.RunMilliseconds("add", disk.Backend.Relative, world.Server.SocketPath));
                requests[w] += world.Server.RequestCount - before;
                Disk.EnsureHeld([disk]);
                disk.Blkback.Shutdown();
                script.RunMilliseconds("remove", disk.Backend.Relative, world.Server.SocketPath);
                Leaks.AssertNoLoopOn(world.Image(0));
            }
        }
        return (new Case(0, new Sample("add, no other backend", adds[0]), (double)requests[0] / runs),
                new Case(Others, new Sample($"add, {Others} other backends", adds[1]), (double)requests[1] / runs));
    }

    /// <summary>Other guests' disks on devices 8:N (none of them ours), connected (state 4), blkback holding each.</summary>
    private static void Populate(World world, int count)
    {
        for (int i = 0; i < count; i++)
        {
            uint domid = (uint)(2000 + i);
            string device = $"8:{i:x}";
            string backend = $"/local/domain/0/backend/vbd/{domid}/51712";
            world.Server.Write($"/local/domain/{domid}/vm", $"/vm/00000000-0000-0000-0000-{domid:d12}");
            world.Server.Write($"{backend}/frontend-id", domid.ToString(System.Globalization.CultureInfo.InvariantCulture));
            world.Server.Write($"{backend}/params", $"/dev/other{i}");
            world.Server.Write($"{backend}/mode", "w");
            world.Server.Write($"{backend}/type", "phy");
            world.Server.Write($"{backend}/physical-device", device);
            world.Server.Write($"{backend}/state", "4");
            string vbd = Directory.CreateDirectory(Path.Combine(world.SysfsRoot, "bus", "xen-backend", "devices", $"vbd-{domid}-51712")).FullName;
            File.WriteAllText(Path.Combine(vbd, "physical_device"), device + "\n");
        }
    }

    public static void Append(StringBuilder md, (Case None, Case Many) cases, int runs)
    {
        md.AppendLine($"## An add on a host with {Others:N0} other disks ({runs} rounds each, alternating)");
        md.AppendLine();
        md.AppendLine($"The other disks' backends are in Xenstore and their devices held by blkback (each vbd's `physical_device` in sysfs).");
        md.AppendLine("Who else uses a device is asked of sysfs first and of Xenstore only for a vbd blkback has not opened a device");
        md.AppendLine("for (docs/design.md, \"Who uses a device: sysfs first, Xenstore for the rest\").");
        md.AppendLine();
        md.AppendLine("| other backends | block-diskseq add median | p90 | Xenstore requests per add | vs none |");
        md.AppendLine("|---:|---:|---:|---:|---:|");
        foreach (Case c in new[] { cases.None, cases.Many })
            md.AppendLine($"| {c.OtherBackends:N0} | {Report.Ms(c.Add.Median)} | {Report.Ms(c.Add.P90)} | {c.RequestsPerAdd:0.#} | "
                + $"**{c.Add.Median / cases.None.Add.Median:0.00}x** |");
        md.AppendLine();
    }
}
