using System.Collections.Generic;
using System.Diagnostics;
using System.Text;

namespace BlockDiskseq.Bench;

/// <summary>
/// Issue 23: does an add cost more on a host whose processes hold many files open? A dom0 with one QEMU device
/// model per HVM guest holds tens of thousands. The same sequential add/remove as Latency.MeasureSequential,
/// with no extra fds and with <see cref="ExtraFds"/> more held by two processes (the case), in blocks of
/// <see cref="Block"/> rounds that alternate, so a change in the machine's load hits both alike.
/// </summary>
internal static class OpenFiles
{
    internal const int ExtraFds = 20_000;
    private const int Holders = 2;
    private const int Block = 5;

    internal sealed record Case(Sample Without, Sample With);

    public static Case Measure(World world, HotplugScript script, int runs)
    {
        var without = new List<double>();
        var with = new List<double>();
        for (int done = 0; done < runs; done += Block)
        {
            Rounds(world, script, Block, without);
            List<Process> holders = StartHolders();
            try
            {
                Rounds(world, script, Block, with);
            }
            finally
            {
                foreach (Process holder in holders)
                {
                    holder.Kill();
                    holder.WaitForExit();
                    holder.Dispose();
                }
            }
        }
        return new Case(new Sample("add, no extra fds", without), new Sample($"add, {ExtraFds:N0} extra fds", with));
    }

    private static void Rounds(World world, HotplugScript script, int count, List<double> adds)
    {
        for (int i = 0; i < count; i++)
        {
            using Disk disk = world.Disk(domid: 12, imageIndex: 0);
            adds.Add(script.RunMilliseconds("add", disk.Backend.Relative, world.Server.SocketPath));
            Disk.EnsureHeld([disk]);
            disk.Blkback.Shutdown();
            script.RunMilliseconds("remove", disk.Backend.Relative, world.Server.SocketPath);
            Leaks.AssertNoLoopOn(world.Image(0));
        }
    }

    /// <summary>Two shells, each holding ExtraFds / 2 descriptors of /dev/null open until killed.</summary>
    private static List<Process> StartHolders()
    {
        int each = ExtraFds / Holders;
        var holders = new List<Process>();
        for (int i = 0; i < Holders; i++)
        {
            var start = new ProcessStartInfo("bash")
            {
                ArgumentList = { "-c", $"ulimit -n {each + 100} && for ((fd = 10; fd < {each + 10}; fd++)); do eval \"exec $fd</dev/null\"; done; echo ready; exec sleep infinity" },
                RedirectStandardOutput = true,
            };
            Process holder = Process.Start(start)!;
            holders.Add(holder);
            if (holder.StandardOutput.ReadLine() != "ready")
                throw new System.InvalidOperationException("an fd holder did not start");
        }
        return holders;
    }

    public static void Append(StringBuilder md, Case c, int runs)
    {
        md.AppendLine($"## An add on a host with {ExtraFds:N0} more open files ({runs} rounds each, alternating blocks of {Block})");
        md.AppendLine();
        md.AppendLine($"Two processes hold {ExtraFds / Holders:N0} descriptors each. Before issue 23 an add scanned every process's open files");
        md.AppendLine("(one `statx` per fd, ~1.8 us each); it now binds a loop device it has just made and scans nothing");
        md.AppendLine("(docs/design.md, \"Loop devices nobody may be handed\"). Target: with / without <= 1.2x.");
        md.AppendLine();
        md.AppendLine("| extra open fds | block-diskseq add median | p90 | vs none |");
        md.AppendLine("|---:|---:|---:|---:|");
        md.AppendLine($"| 0 | {Report.Ms(c.Without.Median)} | {Report.Ms(c.Without.P90)} | **1.00x** |");
        md.AppendLine($"| {ExtraFds:N0} | {Report.Ms(c.With.Median)} | {Report.Ms(c.With.P90)} | **{c.With.Median / c.Without.Median:0.00}x** |");
        md.AppendLine();
    }
}
