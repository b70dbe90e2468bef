using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;

namespace BlockDiskseq.Bench;

/// <summary>What one add and one remove cost besides time: Xenstore requests, syscalls, processes, memory.</summary>
internal static class Costs
{
    internal sealed record Counts(long XenstoreRequests, long Syscalls, int ProcessesCreated, int Execs, int Threads, long PeakRssKiB);

    public static (Counts Add, Counts Remove) Measure(World world, HotplugScript script, string workDir)
        => (One(world, script, "add", workDir), One(world, script, "remove", workDir));

    /// <summary>One verb, observed three times (strace -c, strace of process creation, GNU time), each on a fresh disk.</summary>
    private static Counts One(World world, HotplugScript script, string verb, string workDir)
    {
        string syscalls = Path.Combine(workDir, $"{script.Name}-{verb}.strace-c");
        string processes = Path.Combine(workDir, $"{script.Name}-{verb}.strace-p");
        string rss = Path.Combine(workDir, $"{script.Name}-{verb}.rss");

        long requests = Observe(world, script, verb, "strace", "-f", "-c", "-o", syscalls);
        Observe(world, script, verb, "strace", "-f", "-qq", "-e", "trace=execve,fork,vfork,clone,clone3", "-o", processes);
        Observe(world, script, verb, "/usr/bin/time", "-f", "%M", "-o", rss);

        string[] processLines = File.ReadAllLines(processes);
        bool IsCreate(string l) => !l.Contains("resumed>") && (l.Contains("clone(") || l.Contains("clone3(") || l.Contains("fork("));
        return new Counts(
            requests,
            TotalCalls(syscalls),
            processLines.Count(l => IsCreate(l) && !l.Contains("CLONE_THREAD")),
            processLines.Count(l => l.Contains("execve(") && !l.Contains("resumed>")),
            processLines.Count(l => IsCreate(l) && l.Contains("CLONE_THREAD")),
            long.Parse(File.ReadAllLines(rss).Last(l => l.Trim().Length > 0).Trim(), CultureInfo.InvariantCulture));
    }

    /// <summary>A full add/Closed/remove cycle on a new disk with one verb run under the observer; returns that verb's Xenstore requests.</summary>
    private static long Observe(World world, HotplugScript script, string verb, string wrapper, params string[] args)
    {
        using Disk disk = world.Disk(domid: 30, imageIndex: 0);
        string be = disk.Backend.Relative;
        string sock = world.Server.SocketPath;
        long requests = 0;
        if (verb == "add")
            requests = Counted(world, () => Run(script, verb, be, sock, wrapper, args));
        else
            script.RunMilliseconds("add", be, sock);
        Disk.EnsureHeld([disk]);
        disk.Blkback.Shutdown();
        if (verb == "remove")
            requests = Counted(world, () => Run(script, verb, be, sock, wrapper, args));
        else
            script.RunMilliseconds("remove", be, sock);
        Leaks.AssertNoLoopOn(world.Image(0));
        return requests;
    }

    private static long Counted(World world, Action action)
    {
        long before = world.Server.RequestCount;
        action();
        return world.Server.RequestCount - before;
    }

    private static void Run(HotplugScript script, string verb, string be, string sock, string wrapper, params string[] args)
    {
        using Process process = script.Start(verb, be, sock, wrapper, args);
        script.Finish(process, verb);
    }

    /// <summary>The "total" row of strace -c: "100.00 0.001 3 345 20 total" (calls is the 4th column).</summary>
    private static long TotalCalls(string straceSummary)
    {
        string total = File.ReadAllLines(straceSummary).Last(l => l.TrimEnd().EndsWith("total", StringComparison.Ordinal));
        string[] columns = total.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return long.Parse(columns[3], CultureInfo.InvariantCulture);
    }

    /// <summary>Start-up of the binary (--version) next to /bin/true, interleaved so load hits both alike.</summary>
    public static (Sample Ours, Sample True) Startup(string binary, int rounds)
    {
        var ours = new List<double>();
        var truth = new List<double>();
        for (int i = 0; i < rounds; i++)
        {
            ours.Add(Exec(binary, "--version"));
            truth.Add(Exec("/bin/true"));
        }
        return (new Sample("block-diskseq --version", ours), new Sample("/bin/true", truth));
    }

    private static double Exec(string path, params string[] args)
    {
        long started = Stopwatch.GetTimestamp();
        var start = new ProcessStartInfo(path) { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        using Process process = Process.Start(start)!;
        _ = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }
}
