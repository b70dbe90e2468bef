using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using BlockDiskseq.Cli;

namespace BlockDiskseq.Bench;

/// <summary>
/// bench/run's driver: block-diskseq against Xen's stock block script on the same test Xenstore server,
/// real loop devices and emulated blkback, in one run. Writes the report; asserts nothing about time.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        Options options;
        try
        {
            options = Options.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"bench: {e.Message}\n{Options.Usage}");
            return 64;
        }
        string work = Directory.CreateTempSubdirectory("bdbench-out-").FullName;
        var ours = new HotplugScript("block-diskseq", options.Binary, new Dictionary<string, string>());
        var xen = new HotplugScript("xen-block", options.XenScript, new Dictionary<string, string>());
        var report = new Report(options);

        using (var world = new World())
        {
            ours = ours with { ExtraEnvironment = EnvironmentOf(world) };
            if (options.TraceDir is string traceDir)
            {
                Trace.Write(world, ours, traceDir);
                Progress($"wrote the trace of one add and one remove to {traceDir}");
                return 0;
            }
            foreach (HotplugScript script in new[] { ours, xen })
            {
                Progress($"{script.Name}: {options.Runs} sequential add/remove rounds");
                report.Sequential[script.Name] = Latency.MeasureSequential(world, script, options.Runs);
                foreach (int count in options.ParallelCounts)
                {
                    Progress($"{script.Name}: {count} parallel adds and removes");
                    report.Parallel[(script.Name, count)] = Latency.MeasureParallel(world, script, count, options.ParallelRounds);
                }
                Progress($"{script.Name}: requests, syscalls, processes, memory");
                report.Costs[script.Name] = Costs.Measure(world, script, work);
            }
            using (var crowded = new World())
            {
                Progress($"block-diskseq: {options.Runs} adds with no other backend and with {HostScale.Others} (alternating)");
                report.Scale = HostScale.Measure(world, ours, crowded, ours with { ExtraEnvironment = EnvironmentOf(crowded) }, options.Runs);
            }
            Progress($"block-diskseq: {options.Runs} adds with no extra open files and with {Bench.OpenFiles.ExtraFds:N0} (alternating)");
            report.OpenFiles = Bench.OpenFiles.Measure(world, ours, options.Runs);
            Progress($"block-diskseq: {PoolSize.Cycles:N0} add/remove cycles, {PoolSize.Burst} at once: the loop device pool");
            report.Pool = PoolSize.Measure(world, ours);
            Progress("cost model: loop device make/delete and the bound-device scan, in-process");
            report.Model = CostModel.Measure(world);
            Progress("block-diskseq: the steps of one add and one remove");
            report.StepTimes = Trace.Measure(world, ours);
            Progress("floor: the unavoidable work of one add, in-process");
            report.FloorAdd = Floor.MeasureAdd(world, options.Runs);
            Progress("floor: the unavoidable work of one remove, in-process");
            report.FloorRemove = Floor.MeasureRemove(world, ours, options.Runs);
        }
        Progress("start-up next to /bin/true");
        report.Startup = Costs.Startup(options.Binary, options.StartupRounds);
        report.BinarySize = new FileInfo(options.Binary).Length;

        report.Write();
        Directory.Delete(work, recursive: true);
        Progress($"wrote {options.Output}");
        return 0;
    }

    /// <summary>block-diskseq's settings that point it at a world's run directory, sysfs root and log directory.</summary>
    private static Dictionary<string, string> EnvironmentOf(World world) => new()
    {
        ["BLOCK_DISKSEQ_RUNDIR"] = world.RunDir,
        ["BLOCK_DISKSEQ_SYSFS"] = world.SysfsRoot,
        ["BLOCK_DISKSEQ_LOGDIR"] = world.LogDir,
    };

    private static void Progress(string message) => Console.Error.WriteLine($"bench: {message}");
}

internal sealed record Options(string Binary, string XenScript, string Output, int Runs, int[] ParallelCounts, int StartupRounds, int ParallelRounds, string? LabTimings, string? TraceDir)
{
    private static readonly string[] Known =
        ["--binary", "--xen-script", "--out", "--runs", "--parallel", "--startup-rounds", "--parallel-rounds", "--lab-timings", "--trace"];

    public static string Usage => $"usage: Bench [{string.Join(" VALUE] [", Known)} VALUE]";

    /// <summary>--option VALUE pairs, each a known option at most once; anything else is an ArgumentException.</summary>
    public static Options Parse(string[] args)
    {
        var values = new Dictionary<string, string>();
        for (int i = 0; i < args.Length; i += 2)
        {
            if (Array.IndexOf(Known, args[i]) < 0)
                throw new ArgumentException($"unknown option '{args[i]}'");
            if (i + 1 >= args.Length)
                throw new ArgumentException($"{args[i]} needs a value");
            if (!values.TryAdd(args[i], args[i + 1]))
                throw new ArgumentException($"{args[i]} is given twice");
        }
        string Get(string key, string fallback) => values.TryGetValue(key, out string? v) ? v : fallback;
        return new Options(
            Get("--binary", "artifacts/publish/block-diskseq"),
            Get("--xen-script", "/etc/xen/scripts/block"),
            Get("--out", "docs/benchmarks.md"),
            int.Parse(Get("--runs", "30"), CultureInfo.InvariantCulture),
            [.. Array.ConvertAll(Get("--parallel", "16,64").Split(','), s => int.Parse(s, CultureInfo.InvariantCulture))],
            int.Parse(Get("--startup-rounds", "200"), CultureInfo.InvariantCulture),
            int.Parse(Get("--parallel-rounds", "5"), CultureInfo.InvariantCulture),
            values.GetValueOrDefault("--lab-timings"),
            values.GetValueOrDefault("--trace"));
    }
}
