using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace BlockDiskseq.Bench;

/// <summary>
/// Where one add and one remove spend their time: block-diskseq's --verbose steps (each with its time since
/// Main started) for the report, and with bench/run --trace DIR also strace -f -tt -T of each verb and the
/// test server's log of every request, the profile behind the tuning. Runs after a few warm-up rounds: the
/// test server lives in this process and its first requests pay for JIT compilation.
/// </summary>
internal static class Trace
{
    private const int WarmUpRounds = 5;

    internal sealed record Steps(IReadOnlyList<string> Add, IReadOnlyList<string> Remove);

    public static Steps Measure(World world, HotplugScript script)
    {
        var logs = new Dictionary<string, string>();
        AddThenRemove(world, script, domid: 40, (verb, be) => logs[verb] = Verbose(world, script, verb, be, null));
        return new Steps(StepLines(logs["add"]), StepLines(logs["remove"]));
    }

    public static void Write(World world, HotplugScript script, string dir)
    {
        Directory.CreateDirectory(dir);
        AddThenRemove(world, script, domid: 41, (verb, be) => Profile(world, script, verb, be, dir));
    }

    /// <summary>After the warm-up, one add and one remove in libxl's order, each run by <paramref name="run"/>.</summary>
    private static void AddThenRemove(World world, HotplugScript script, uint domid, Action<string, string> run)
    {
        _ = Latency.MeasureSequential(world, script, WarmUpRounds);
        using Disk disk = world.Disk(domid, imageIndex: 0);
        run("add", disk.Backend.Relative);
        Disk.EnsureHeld([disk]);
        disk.Blkback.Shutdown();
        run("remove", disk.Backend.Relative);
        Leaks.AssertNoLoopOn(world.Image(0));
    }

    /// <summary>The verb twice on the same disk state is impossible (add changes it), so one run carries all three records.</summary>
    private static void Profile(World world, HotplugScript script, string verb, string be, string dir)
    {
        var requests = new List<string>();
        long before = world.Server.RequestCount;
        string log;
        using (world.Server.RecordRequests(line => { lock (requests) requests.Add(line); }))
            log = Verbose(world, script, verb, be, ["-f", "-tt", "-T", "-o", Path.Combine(dir, $"{verb}.strace")]);
        File.WriteAllText(Path.Combine(dir, $"{verb}.log"), log);
        File.WriteAllLines(Path.Combine(dir, $"{verb}.requests"), requests);
        Console.Error.WriteLine($"bench: trace: {verb}: {world.Server.RequestCount - before} Xenstore requests, "
            + $"{File.ReadLines(Path.Combine(dir, $"{verb}.strace")).Count()} strace lines (times under strace are inflated)");
    }

    /// <summary>Runs the verb with --verbose, under strace when given its arguments; returns stderr.</summary>
    private static string Verbose(World world, HotplugScript script, string verb, string be, IReadOnlyList<string>? strace)
    {
        using var process = script.Start(verb, be, world.Server.SocketPath, strace is null ? null : "strace", strace, ["--verbose"]);
        string log = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{script.Name} {verb} exited {process.ExitCode}: {log.Trim()}");
        return log;
    }

    /// <summary>"block-diskseq add backend/vbd/40/51712: [   0.84 ms] opened ..." -> "0.84 ms  opened ...".</summary>
    private static List<string> StepLines(string log)
        => [.. log.Split('\n')
            .Select(line => line.IndexOf(": [", StringComparison.Ordinal) is int at and >= 0 ? line[(at + 3)..] : null)
            .OfType<string>()
            .Select(rest => rest.Replace("]", "", StringComparison.Ordinal).Trim())];
}
