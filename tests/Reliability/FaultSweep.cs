using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;

namespace BlockDiskseq.Reliability;

/// <summary>One operation swept for syscall faults: add or remove of a disk whose params name the subject.</summary>
internal sealed record SweepScenario(string Name, Subject Subject, string Verb);

/// <summary>A fault point: the Nth call of one syscall (strace counts per syscall and per thread).</summary>
internal readonly record struct FaultPoint(string Syscall, int Index);

/// <summary>
/// Part 1: each operation once under strace to find its fault points, then for each point a run with
/// `-e inject=SYSCALL:error=EIO:when=N`, one with the errno natural to that call (if it is not EIO) and one
/// with `signal=SIGKILL`, each followed by the invariant checks and the toolstack's teardown.
/// strace counts `when=N` per syscall and per tracee (thread), so the points of a syscall are 1..the most
/// calls any one thread made: one trial hits the Nth call in every thread that makes N calls.
/// </summary>
internal sealed partial class FaultSweep(Lab lab, Random random)
{
    /// <summary>Syscalls not worth a fault: the exec strace itself makes, and the calls that cannot fail back to us.</summary>
    private static readonly HashSet<string> Skipped = ["execve", "exit", "exit_group", "rt_sigreturn"];

    /// <summary>Main's first system call: StandardFds.Repair checks fd 0 (hotplug/Cli/StandardFds.cs).</summary>
    private const string MainStarts = "fcntl(0, F_GETFD";

    [GeneratedRegex(@"^(\d+)\s+([a-z0-9_]+)\(")]
    private static partial Regex CallStart();

    private string TraceFile => Path.Combine(lab.Root, "strace.out");

    /// <summary>
    /// Runs every trial (sample null) or a random sample of them. Faults that land before Main (in ld.so
    /// loading the libraries, or the runtime starting) go to their own tally: no program can report those,
    /// so there only "nothing left behind" is checked, and the exit codes are noted.
    /// </summary>
    public void Run(SweepScenario scenario, int? sample, Tally tally, Tally beforeMainTally)
    {
        List<FaultPoint> points;
        HashSet<FaultPoint> beforeMain;
        Dictionary<string, int> totals;
        using (tally.Timing())
            (points, beforeMain, totals) = Count(scenario);
        tally.FaultPoints = points.Count - beforeMain.Count;
        beforeMainTally.FaultPoints = beforeMain.Count;
        tally.Note = $"{totals.Values.Sum()} syscalls of {totals.Count} kinds under strace -f";
        var trials = new List<(FaultPoint Point, string Fault)>();
        foreach (FaultPoint point in points)
        {
            foreach (string errno in Errnos(point.Syscall))
                trials.Add((point, $"error={errno}"));
            trials.Add((point, "signal=SIGKILL"));
        }
        if (sample is int n && n < trials.Count)
            trials = [.. trials.OrderBy(_ => random.Next()).Take(n)];
        var exits = new SortedDictionary<int, int>();
        foreach ((FaultPoint point, string fault) in trials)
        {
            (int exit, bool early) = Trial(scenario, point, fault, tally, beforeMainTally, beforeMain.Contains(point));
            if (early)
                exits[exit] = exits.GetValueOrDefault(exit) + 1;
        }
        beforeMainTally.Note = "exit codes: " + string.Join(", ", exits.Select(e => $"{e.Key} x{e.Value}"));
    }

    /// <summary>
    /// One run under `strace -f` with the full trace: the fault points, those that come only before Main (before
    /// its first system call, StandardFds' fcntl(0, F_GETFD); or libxenstore's first socket()) and the -c style totals.
    /// </summary>
    private (List<FaultPoint> Points, HashSet<FaultPoint> BeforeMain, Dictionary<string, int> Totals) Count(SweepScenario scenario)
    {
        using Disk disk = lab.DiskFor(scenario.Subject, scenario.Verb, random);
        Outcome outcome = disk.Run(scenario.Verb, ["strace", "-f", "-qq", "-o", TraceFile, "--"]);
        if (outcome.ExitCode != 0)
            throw new InvalidOperationException($"{scenario.Name} under strace without a fault failed: {outcome}");
        var perThread = new Dictionary<(string Pid, string Call), int>();
        var beforeMain = new HashSet<FaultPoint>();
        var afterMainStarts = new HashSet<FaultPoint>();
        bool inMain = false;
        foreach (string line in File.ReadLines(TraceFile))
        {
            Match call = CallStart().Match(line);
            if (!call.Success || Skipped.Contains(call.Groups[2].Value))
                continue;
            (string pid, string name) = (call.Groups[1].Value, call.Groups[2].Value);
            inMain |= line.Contains(MainStarts, StringComparison.Ordinal) || name == "socket";
            int index = perThread[(pid, name)] = perThread.GetValueOrDefault((pid, name)) + 1;
            (inMain ? afterMainStarts : beforeMain).Add(new FaultPoint(name, index));
        }
        // A point that some thread also reaches after Main starts (the reader thread's Nth read) is the program's.
        beforeMain.ExceptWith(afterMainStarts);
        var verdict = new Verdict();
        Checks.TeardownLeavesNothing(verdict, disk);
        if (!verdict.Passed)
            throw new InvalidOperationException($"{scenario.Name}: the counting run left something behind: {verdict}");
        Dictionary<string, int> totals = perThread.GroupBy(e => e.Key.Call).ToDictionary(g => g.Key, g => g.Sum(e => e.Value));
        List<FaultPoint> points = [.. perThread.GroupBy(e => e.Key.Call)
            .SelectMany(g => Enumerable.Range(1, g.Max(e => e.Value)).Select(i => new FaultPoint(g.Key, i)))
            .OrderBy(p => p.Syscall, StringComparer.Ordinal).ThenBy(p => p.Index)];
        return (points, beforeMain, totals);
    }

    /// <summary>
    /// One trial. strace counts when=N per thread, so a point that a worker thread reaches after Main can also
    /// land in the main thread's ld.so or runtime start: such a trial is judged as before Main when its trace
    /// shows the fault injected before Main's first call (fcntl is traced for that), or Main never reached.
    /// </summary>
    private (int Exit, bool BeforeMain) Trial(SweepScenario scenario, FaultPoint point, string fault, Tally tally,
                                              Tally beforeMainTally, bool beforeMain)
    {
        var verdict = new Verdict();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using Disk disk = lab.DiskFor(scenario.Subject, scenario.Verb, random);
        bool sigkill = fault.StartsWith("signal", StringComparison.Ordinal);
        Outcome outcome = disk.Run(scenario.Verb,
            ["strace", "-f", "-qq", "-o", TraceFile, "-e", $"trace={point.Syscall},fcntl", "-e", $"inject={point.Syscall}:{fault}:when={point.Index}", "--"]);
        string trace = File.ReadAllText(TraceFile);
        bool landed = trace.Contains("INJECTED", StringComparison.Ordinal) || (sigkill && outcome.DiedOfSigkill);
        beforeMain |= LandedBeforeMain(trace, sigkill, outcome);
        if (beforeMain)
            tally = beforeMainTally;
        if (!beforeMain)
        {
            Checks.Exit(verdict, outcome, sigkillSent: sigkill);
            Checks.FailureReported(verdict, outcome, disk);
        }
        else if (outcome.Hung)
        {
            verdict.UnexpectedExitFound($"hung: {outcome}");
        }
        if (scenario.Verb == "add")
            Checks.AfterAdd(verdict, outcome, disk, sigkillSent: sigkill);
        else
            Checks.AfterRemove(verdict, outcome, disk);
        Checks.TeardownLeavesNothing(verdict, disk);
        tally.AddTime(clock.Elapsed);
        tally.Record(verdict, $"{scenario.Verb} {disk.Subject.Parameters} under inject={point.Syscall}:{fault}:when={point.Index} ({outcome.ExitCode})", landed);
        return (outcome.ExitCode, beforeMain);
    }

    private static bool LandedBeforeMain(string trace, bool sigkill, Outcome outcome)
    {
        int main = trace.IndexOf(MainStarts, StringComparison.Ordinal);
        if (main < 0)
            return sigkill ? outcome.DiedOfSigkill : trace.Contains("INJECTED", StringComparison.Ordinal);
        int injected = trace.IndexOf("INJECTED", StringComparison.Ordinal);
        return injected >= 0 && injected < main;
    }


    /// <summary>
    /// The errnos injected into one syscall. I/O and kernel-interface calls get EIO and the errno natural to
    /// them (issue 13's list); the process machinery (memory, threads, futexes, signals) gets only an errno
    /// it really returns: EIO from futex or mmap tests glibc's and the runtime's assertions, not this program.
    /// </summary>
    internal static IReadOnlyList<string> Errnos(string syscall) => syscall switch
    {
        "mmap" or "munmap" or "mprotect" or "mremap" or "madvise" or "sigaltstack" or "membarrier"
            or "sched_getaffinity" or "prlimit64" => ["ENOMEM"],
        // The kernel fails only futex waits (EAGAIN, EINTR, ETIMEDOUT, all retried by glibc); strace cannot tell
        // a wait from a wake, and glibc aborts (134) on any error from a wake, by design. So: SIGKILL only.
        "futex" => [],
        // brk never fails with an errno: the kernel answers the current break when it cannot move it (brk(2),
        // "C library/kernel differences"; mm/mmap.c, SYSCALL_DEFINE1(brk)), and glibc's brk() compares that
        // with the break it asked for. An injected -ENOMEM, read as an address, is above any break asked for:
        // glibc stores it as the break and the next sbrk walks off it (the SIGSEGV, exit 139, of CI's sample
        // with brk:error=ENOMEM:when=4), a fault no kernel produces. So: SIGKILL only.
        "brk" => [],
        "clone" or "clone3" or "getrandom" => ["EAGAIN"],
        "rt_sigaction" or "rt_sigprocmask" or "set_robust_list" or "set_tid_address" or "rseq" or "arch_prctl"
            or "sched_yield" or "gettid" or "getpid" or "getuid" or "geteuid" or "getgid" or "getegid" => ["EINVAL"],
        "read" or "write" or "readv" or "writev" or "pread64" or "pwrite64" or "recvfrom" or "recvmsg" or "sendto" or "sendmsg"
            or "connect" or "poll" or "ppoll" or "select" or "pselect6" or "epoll_wait" or "epoll_pwait"
            or "nanosleep" or "clock_nanosleep" or "wait4" or "rt_sigtimedwait" or "flock" => ["EIO", "EINTR"],
        "fcntl" => ["EIO", "EAGAIN"],
        "socket" or "pipe2" or "eventfd2" or "epoll_create1" or "timerfd_create" => ["EIO", "ENOMEM"],
        "openat" or "open" or "mkdir" or "mkdirat" or "fallocate" or "ftruncate" or "linkat" or "renameat" => ["EIO", "ENOSPC"],
        "ioctl" => ["EIO", "EBUSY"],
        _ => ["EIO"],
    };
}
