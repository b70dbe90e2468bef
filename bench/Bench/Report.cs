using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using BlockDiskseq.Cli;

namespace BlockDiskseq.Bench;

/// <summary>docs/benchmarks.md and the latency chart beside it, from one run's measurements.</summary>
internal sealed class Report(Options options)
{
    public Dictionary<string, Latency.Sequential> Sequential { get; } = [];
    public Dictionary<(string, int), Latency.Parallel> Parallel { get; } = [];
    public Dictionary<string, (Costs.Counts Add, Costs.Counts Remove)> Costs { get; } = [];
    public Sample? FloorAdd { get; set; }
    public Sample? FloorRemove { get; set; }
    public (Sample Ours, Sample True) Startup { get; set; }
    public long BinarySize { get; set; }
    public Trace.Steps? StepTimes { get; set; }
    public (HostScale.Case None, HostScale.Case Many)? Scale { get; set; }
    public OpenFiles.Case? OpenFiles { get; set; }
    public PoolSize.Result? Pool { get; set; }
    public CostModel.Result? Model { get; set; }

    /// <summary>Taken before anything runs: at the end it mostly shows the 64 parallel scripts just run.</summary>
    private readonly string loadBefore = File.ReadAllText("/proc/loadavg").Split(' ')[0];

    private const string Ours = "block-diskseq";
    private const string Xen = "xen-block";

    public void Write()
    {
        string chart = Path.ChangeExtension(options.Output, null) + "-latency.svg";
        File.WriteAllText(chart, LatencyChart.Svg([Sequential[Ours].Add, Sequential[Xen].Add, Sequential[Ours].Remove, Sequential[Xen].Remove]));
        var md = new StringBuilder();
        md.AppendLine("# Benchmarks: block-diskseq next to Xen's block script");
        md.AppendLine();
        md.AppendLine($"Written by `bench/run` from one run on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC. Nothing here is asserted by a test.");
        md.AppendLine("Both scripts ran against the same test Xenstore server, real loop devices and the same emulated");
        md.AppendLine("blkback (series flavour: `opened` 0 then 1), in libxl's order: `remove` only after the backend reached Closed.");
        md.AppendLine();
        AppendMachine(md);
        AppendSequential(md, Path.GetFileName(chart));
        AppendParallel(md);
        if (Scale is { } scale)
            HostScale.Append(md, scale, options.Runs);
        if (OpenFiles is { } openFiles)
            Bench.OpenFiles.Append(md, openFiles, options.Runs);
        if (Pool is { } pool)
            PoolSize.Append(md, pool);
        if (Model is { } model)
            CostModel.Append(md, model, OpenFiles);
        AppendCosts(md);
        RequestBudget.Append(md);
        AppendFloor(md);
        AppendSteps(md);
        AppendTuning(md);
        AppendLab(md);
        File.WriteAllText(options.Output, md.ToString());
    }

    private void AppendMachine(StringBuilder md)
    {
        md.AppendLine("## Machine");
        md.AppendLine();
        md.AppendLine("| | |");
        md.AppendLine("|---|---|");
        md.AppendLine($"| CPU | {Environment.ProcessorCount} x {CpuModel()} |");
        md.AppendLine($"| kernel | {File.ReadAllText("/proc/sys/kernel/osrelease").Trim()} |");
        md.AppendLine($"| Debian | {File.ReadAllText("/etc/debian_version").Trim()} |");
        md.AppendLine($"| .NET (driver) | {RuntimeInformation.FrameworkDescription} |");
        md.AppendLine($"| Xen's script | {options.XenScript} from xen-utils-common {PackageVersion("xen-utils-common")} |");
        md.AppendLine($"| block-diskseq | {BinarySize:N0} bytes, NativeAOT |");
        md.AppendLine($"| load average (1 min) before the run | {loadBefore} |");
        md.AppendLine();
    }

    private void AppendSequential(StringBuilder md, string chart)
    {
        md.AppendLine($"## Sequential add and remove ({options.Runs} rounds each)");
        md.AppendLine();
        md.AppendLine("| | block-diskseq median | p90 | Xen's block median | p90 | ratio (medians) |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach ((string verb, Func<Latency.Sequential, Sample> pick) in new (string, Func<Latency.Sequential, Sample>)[] { ("add", s => s.Add), ("remove", s => s.Remove) })
        {
            Sample o = pick(Sequential[Ours]), x = pick(Sequential[Xen]);
            md.AppendLine($"| {verb} | {Ms(o.Median)} | {Ms(o.P90)} | {Ms(x.Median)} | {Ms(x.P90)} | **{Ratio(x.Median, o.Median)}** |");
        }
        md.AppendLine();
        md.AppendLine($"![latency distributions]({chart})");
        md.AppendLine();
    }

    private void AppendParallel(StringBuilder md)
    {
        md.AppendLine($"## Parallel adds and removes of different images (wall time, first start to last exit; median of {options.ParallelRounds} rounds)");
        md.AppendLine();
        md.AppendLine("| disks | block-diskseq add | Xen's block add | ratio | block-diskseq remove | Xen's block remove | ratio |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|");
        foreach (int n in options.ParallelCounts)
        {
            Latency.Parallel o = Parallel[(Ours, n)], x = Parallel[(Xen, n)];
            md.AppendLine($"| {n} | {Ms(o.AddWallMs)} | {Ms(x.AddWallMs)} | **{Ratio(x.AddWallMs, o.AddWallMs)}** | {Ms(o.RemoveWallMs)} | {Ms(x.RemoveWallMs)} | **{Ratio(x.RemoveWallMs, o.RemoveWallMs)}** |");
        }
        md.AppendLine();
    }

    private void AppendCosts(StringBuilder md)
    {
        md.AppendLine("## What one add and one remove cost");
        md.AppendLine();
        md.AppendLine("Xenstore requests counted by the test server; syscalls by `strace -f -c` (all processes and threads);");
        md.AppendLine("processes and threads created by `strace -f -e trace=process`; peak RSS by GNU time (largest process).");
        md.AppendLine();
        md.AppendLine("| | Xenstore requests | syscalls | processes created | execve | threads | peak RSS |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (string name in new[] { Ours, Xen })
            foreach ((string verb, Costs.Counts c) in new[] { ("add", Costs[name].Add), ("remove", Costs[name].Remove) })
                md.AppendLine($"| {name} {verb} | {c.XenstoreRequests} | {c.Syscalls:N0} | {c.ProcessesCreated} | {c.Execs} | {c.Threads} | {c.PeakRssKiB / 1024.0:F1} MiB |");
        md.AppendLine();
        md.AppendLine($"Start-up, interleaved over {options.StartupRounds} rounds: `block-diskseq --version` median {Ms(Startup.Ours.Median)} (p90 {Ms(Startup.Ours.P90)}),");
        md.AppendLine($"`/bin/true` median {Ms(Startup.True.Median)} (p90 {Ms(Startup.True.P90)}); both include the driver's fork/exec/wait.");
        md.AppendLine();
    }

    private void AppendFloor(StringBuilder md)
    {
        Sample floor = FloorAdd!, removeFloor = FloorRemove!;
        double floorMs = floor.Median + Startup.True.Median;
        double add = Sequential[Ours].Add.Median, remove = Sequential[Ours].Remove.Median;
        md.AppendLine("## The floor of one add and one remove");
        md.AppendLine();
        md.AppendLine("What no implementation can skip: start a process (measured as `/bin/true`), connect to Xenstore, read");
        md.AppendLine("`params`, `mode` and `state`, open the image, LOOP_CTL_ADD + open + LOOP_CONFIGURE + BLKGETDISKSEQ (the");
        md.AppendLine("program's own attach: a device nobody can have opened, so no check of who holds it is needed),");
        md.AppendLine("one transaction writing `diskseq` and `physical-device`, a watch on `opened` and blkback's answer.");
        md.AppendLine("For a remove (after a real add and blkback's close):");
        md.AppendLine("connect, read our record, delete `physical-device`, `diskseq` and the record, open the recorded loop");
        md.AppendLine("device, detach it only if it still carries the recorded diskseq (autoclear has usually detached it),");
        md.AppendLine("and delete the device (LOOP_CTL_REMOVE: an add that makes a device per binding must, or the pool grows).");
        md.AppendLine("The driver does exactly that in-process with the program's own classes (bench/Bench/Floor.cs).");
        md.AppendLine("The floor of a NativeAOT program adds the runtime's start (`--version`) instead of `/bin/true`.");
        md.AppendLine();
        md.AppendLine("| | median | p90 |");
        md.AppendLine("|---|---:|---:|");
        md.AppendLine($"| add: unavoidable work, in-process | {Ms(floor.Median)} | {Ms(floor.P90)} |");
        md.AppendLine($"| + a process (`/bin/true`) = **floor** | **{Ms(floorMs)}** | |");
        md.AppendLine($"| block-diskseq add | {Ms(add)} | {Ms(Sequential[Ours].Add.P90)} |");
        md.AppendLine($"| add / floor | **{add / floorMs:F2}x** | |");
        double aotFloorMs = floor.Median + Startup.Ours.Median;
        md.AppendLine($"| unavoidable work + the NativeAOT runtime's start (`--version`) = floor of a NativeAOT program | {Ms(aotFloorMs)} | |");
        md.AppendLine($"| add / that floor | {add / aotFloorMs:F2}x | |");
        md.AppendLine($"| remove: unavoidable work, in-process | {Ms(removeFloor.Median)} | {Ms(removeFloor.P90)} |");
        double removeAotFloorMs = removeFloor.Median + Startup.Ours.Median;
        md.AppendLine($"| + the NativeAOT runtime's start = remove floor of a NativeAOT program | {Ms(removeAotFloorMs)} | |");
        md.AppendLine($"| block-diskseq remove | {Ms(remove)} | {Ms(Sequential[Ours].Remove.P90)} |");
        md.AppendLine($"| remove / that floor | {remove / removeAotFloorMs:F2}x | |");
        md.AppendLine();
        AppendCeiling(md);
    }

    /// <summary>
    /// What the process start alone allows: a hotplug script is a program libxl execs, so no add or remove can
    /// be faster than starting one. The ratios a script doing nothing at all would reach are the ceiling.
    /// </summary>
    private void AppendCeiling(StringBuilder md)
    {
        double started = Startup.Ours.Median, bare = Startup.True.Median;
        Sample xenAdd = Sequential[Xen].Add, xenRemove = Sequential[Xen].Remove;
        md.AppendLine("What the process start alone allows: libxl execs a hotplug script, so no add or remove is faster than");
        md.AppendLine("starting one. A program that did nothing after starting would be this much faster than Xen's script:");
        md.AppendLine();
        md.AppendLine("| start-up | vs Xen's add | vs Xen's remove |");
        md.AppendLine("|---|---:|---:|");
        md.AppendLine($"| `/bin/true` ({Ms(bare)}) | {Ratio(xenAdd.Median, bare)} | {Ratio(xenRemove.Median, bare)} |");
        md.AppendLine($"| block-diskseq: NativeAOT runtime start ({Ms(started)}) | {Ratio(xenAdd.Median, started)} | {Ratio(xenRemove.Median, started)} |");
        md.AppendLine();
    }

    /// <summary>What the profile (bench/run --trace) showed and what was cut; the numbers are from the runs that decided it.</summary>
    private static void AppendTuning(StringBuilder md)
    {
        md.AppendLine("## Tuning: what the profile showed and what was cut");
        md.AppendLine();
        md.AppendLine("- Watches were set before the transaction, so 20 requests paid libxenstore's reader-thread hand-off;");
        md.AppendLine("  they are set after it now (every condition is read again once its watch fires), two instead of three,");
        md.AppendLine("  a node is read only when an event names it, and no unwatch is sent (27 requests per add -> 25).");
        md.AppendLine("- xs_close at exit pthread_cancel-ed that thread, which made glibc load libgcc_s: the process now just exits.");
        md.AppendLine("- Removing a node checked that it existed first: one request per delete now (remove: 11 requests -> 6).");
        md.AppendLine("- The sharing check stat-ed /sys/block/loopN/loop for every loop device, and .NET's enumerator added an");
        md.AppendLine("  lstat and a stat per symlink: 1.1-1.5 ms of an add with 105 loop devices (0.73 ms with one statx each).");
        md.AppendLine("  /proc/partitions names the bound ones in one read (~50 us; the check now takes ~0.1 ms).");
        md.AppendLine("- The version was read back through reflection: the binary lost 340 KB and 25 page faults per start.");
        md.AppendLine("- Every lost race for a free loop device made a new one (LOOP_CTL_ADD), so the pool grew by up to N-1");
        md.AppendLine("  devices per burst of N parallel adds (1,035 here after a day); losers then took the next existing device.");
        md.AppendLine("  Since issue 23 every add makes its device and remove deletes it (\"The loop device pool\" above).");
        md.AppendLine("- The test server answered through a writer thread per connection and started two threads per");
        md.AppendLine("  connection; it now replies from the reading thread and reuses threads (connect+read+close 463 -> 59 us).");
        md.AppendLine("- ILC's dehydrated data was rehydrated at every start (the largest user-space item in a profile of an");
        md.AppendLine("  empty run): off, a start is ~0.25 ms faster for 330 KB more binary (1.94 MB, under the 2 MiB limit).");
        md.AppendLine("- Left: the rest of the NativeAOT runtime's start (cgroup and /proc/self/mountinfo reads, cache-size");
        md.AppendLine("  sysfs reads, GC set-up, the finalizer thread), about 1.2 ms over `/bin/true`; the settings tried");
        md.AppendLine("  (non-concurrent GC, GC heap limit and gen0 size, lazy binding) changed nothing measurable.");
        md.AppendLine("  Each start-up setting and what it gave: \"Start-up inventory\" below.");
        md.AppendLine("- Since the safety work an add scans every /proc/PID/fd (a free loop device that another process holds");
        md.AppendLine("  must not be bound): one statx per fd of every process, the largest item of an add on a busy host");
        md.AppendLine("  (2,200 of ~3,300 syscalls of an add here, with ~100 processes and ~2,000 fds). Each statx built and");
        md.AppendLine("  walked \"/proc/PID/fd/N\" from the root and allocated two strings; it is now relative to the open fd");
        md.AppendLine("  directory with readdir's name: in-process, interleaved, 300 rounds, 111 processes: 7.10 -> 3.98 ms");
        md.AppendLine("  at load 10, 13.4-17.5 -> 10.8-13.7 ms at load 15-18. Same syscalls and the same answer. Not cut:");
        md.AppendLine("  the scan itself. It runs once per add (the result is kept for every further candidate), and it");
        md.AppendLine("  cannot stop at a first hit, since the common answer is \"nobody\", which needs the whole pass.");
        md.AppendLine("  Issue 23 removed it: add binds only a device its own LOOP_CTL_ADD just made, which nobody can have");
        md.AppendLine("  opened before. The objection recorded here then (udev opens every new block device) is met by the");
        md.AppendLine("  BSD lock of issue 22: udevd holds a shared lock while its rules run, and add waits for its own");
        md.AppendLine("  exclusive one before binding. The cost moved to remove, which deletes the device (\"Cost model\").");
        md.AppendLine("- An add's peak RSS grew with the loop devices bound on the host (4.4-4.9 MiB with ~13 bound, 6.4 MiB");
        md.AppendLine("  with 71): the sharing check read two sysfs files per bound device through File.ReadAllText (a");
        md.AppendLine("  FileStream, a StreamReader and their buffers each) and split the whole of mountinfo per device, and no");
        md.AppendLine("  collection runs in so short a process. With 71 bound: 6.40 -> 5.35 MiB (one stack page per read) ->");
        md.AppendLine("  4.36 MiB (mountinfo parsed once), GNU time, median of 6 interleaved runs; remove 4.1 -> 4.0 MiB.");
        md.AppendLine();
        AppendStartupInventory(md);
    }

    /// <summary>
    /// Every start-up cost that a build or runtime setting can influence, and what it gave. Measured by hand on
    /// 2026-12-03 (not by this run): `perf stat -r 20` of `--version` per variant, 25 interleaved rounds, the
    /// median of the round means of task-clock (CPU time, less sensitive to load than wall time), page
    /// faults, and GNU time's peak RSS (median of 20); load average 20-27 from other jobs, so differences
    /// under ~0.2 ms are noise.
    /// </summary>
    private static void AppendStartupInventory(StringBuilder md)
    {
        md.AppendLine("## Start-up inventory: what each setting gave");
        md.AppendLine();
        md.AppendLine("Measured by hand on 2026-12-03, not by this run: each variant built from the same commit with one");
        md.AppendLine("setting changed, `--version` under `perf stat -r 20` in 25 interleaved rounds (median of the round");
        md.AppendLine("means of task-clock, i.e. CPU time, and its minimum), page faults, peak RSS by GNU time (median of 20).");
        md.AppendLine("The machine's load average was 20-27 (other jobs), so CPU-time differences under ~0.2 ms are noise.");
        md.AppendLine();
        md.AppendLine("| setting | binary (bytes) | CPU ms median (min) | page faults | peak RSS | kept |");
        md.AppendLine("|---|---:|---:|---:|---:|---|");
        md.AppendLine("| aot.props as shipped (baseline) | 2,060,712 | 2.50 (1.90) | 220 | 3,924 KiB | |");
        md.AppendLine("| linker `-z pack-relative-relocs` (DT_RELR) | 1,806,832 | 2.75 (1.89) | 213 | 3,588 KiB | yes: see below |");
        md.AppendLine("| `OptimizationPreference=Speed` | 2,266,504 | 2.74 (1.96) | 220 | 4,056 KiB | no: over 2 MiB, nothing gained |");
        md.AppendLine("| `IlcDisableReflection=true` | 2,060,712 | 2.69 (1.99) | 220 | 3,948 KiB | no: nothing to drop |");
        md.AppendLine("| `System.GC.RegionRange` = 256 MiB | 2,060,728 | 2.72 (1.89) | 208 | 3,920 KiB | no |");
        md.AppendLine("| `System.GC.HeapHardLimit` = 32 MiB | 2,064,808 | 2.49 (1.80) | 205 | 3,892 KiB | no |");
        md.AppendLine("| `ConcurrentGarbageCollection=false` | 2,064,808 | 2.55 (1.85) | 223 | 3,948 KiB | no |");
        md.AppendLine("| `GCgen0size` = 4 MiB (next to DT_RELR; 10 rounds) | 1,810,928 | 2.70 vs 2.61 | 215 vs 217 | 3,656 vs 3,632 KiB | no |");
        md.AppendLine("| `/bin/true`, for scale | 35,664 | 1.39 (0.95) | 77 | 964 KiB | |");
        md.AppendLine();
        md.AppendLine("- DT_RELR: ld.so no longer reads 252 KB of RELA entries (10,700 relative relocations of the");
        md.AppendLine("  position-independent image, 4 KB packed): -336 KiB of peak RSS, -254 KB of binary, the same CPU time.");
        md.AppendLine("  Kept: the binary then needs glibc 2.36 (GLIBC_ABI_DT_RELR, a version with no symbol), which");
        md.AppendLine("  dpkg-shlibdeps does not see, so debian/control states libc6 (>= 2.36) and tests/package/deb checks it.");
        md.AppendLine("- The GC settings are honoured (strace: RegionRange shrinks the 50 GB address-space reservation to");
        md.AppendLine("  256 MiB, HeapHardLimit to 160 MiB) and save 12-15 page faults, but no measurable time or");
        md.AppendLine("  RSS; a hard cap on the heap is a new way to fail, for nothing. GCgen0size did not stop the GC's");
        md.AppendLine("  cache-size reads (8 sysfs files per start either way).");
        md.AppendLine("- Already in aot.props from earlier work: InvariantGlobalization (~20 ms of ICU probing), no dehydration");
        md.AppendLine("  (-0.25 ms), StackTraceSupport, UseSystemResourceKeys, EventSource/debugger/metadata-update support");
        md.AppendLine("  off, DirectPInvoke (~120 fewer syscalls), the version as a constant (-25 page faults).");
        md.AppendLine("  Tiered compilation and ReadyToRun do not apply to NativeAOT (no JIT).");
        md.AppendLine();
        md.AppendLine("What runs before `Main` (strace of `--version`: 242 syscalls; perf of 400 starts) and what could change it:");
        md.AppendLine();
        md.AppendLine("- ld.so maps and links libxenstore, libxentoolcore, libm and libc: its symbol lookups (`strcmp`) are");
        md.AppendLine("  the second-largest user-space item; packing the relocations (above) is the one lever there. No");
        md.AppendLine("  setting removes a library (the runtime links libm; libxenstore needs libxentoolcore).");
        md.AppendLine("- The runtime and then the GC each read /proc/self/mountinfo and /proc/self/cgroup and parse them with");
        md.AppendLine("  sscanf (`__vfscanf_internal`, the largest user-space item), then the cgroup's cpu.cfs_quota_us,");
        md.AppendLine("  memory.use_hierarchy and memory.stat; .NET 10 has no setting that skips cgroup detection.");
        md.AppendLine("- The GC reads 8 cache-size files under /sys/devices/system/cpu/cpu0/cache, /proc/meminfo and sysinfo.");
        md.AppendLine("- CPU feature detection (`minipal_getcpufeatures`, cpuid: a trap to the hypervisor in a VM) is the");
        md.AppendLine("  hottest code inside the binary; it is unconditional (the runtime checks the CPU can run the code).");
        md.AppendLine("- The finalizer thread: one clone3 and an 8 MiB stack mapping; unconditional in NativeAOT.");
        md.AppendLine("- The program has no module initializer, and NativeAOT runs its class constructors at first use, not");
        md.AppendLine("  before `Main` (ILC preinitialises static data where it can); `Main` starts with three fcntl calls (fds 0-2).");
        md.AppendLine();
    }

    private void AppendSteps(StringBuilder md)
    {
        md.AppendLine("## Where one add and one remove spend their time");
        md.AppendLine();
        md.AppendLine("block-diskseq's `--verbose` steps from one warm add and remove (times since `Main` started; the runtime's");
        md.AppendLine("own start-up comes before them). `bench/run --trace DIR` adds strace and the server's request log.");
        md.AppendLine();
        foreach ((string verb, IReadOnlyList<string> lines) in new[] { ("add", StepTimes!.Add), ("remove", StepTimes.Remove) })
        {
            md.AppendLine("```");
            md.AppendLine($"block-diskseq {verb}");
            foreach (string line in lines)
                md.AppendLine("  " + line);
            md.AppendLine("```");
        }
        md.AppendLine();
    }

    private void AppendLab(StringBuilder md)
    {
        if (options.LabTimings is null || !File.Exists(options.LabTimings))
        {
            md.AppendLine("## Xen lab");
            md.AppendLine();
            md.AppendLine("No lab timings were given to this run (`bench/run` reads tests/vm's timings file when the lab ran first).");
            return;
        }
        md.AppendLine("## Xen lab (real xl, xenstored and blkback under QEMU TCG; from tests/vm)");
        md.AppendLine();
        md.Append(File.ReadAllText(options.LabTimings));
    }

    internal static string Ms(double ms) => ms.ToString(ms < 10 ? "F2" : "F1", CultureInfo.InvariantCulture) + " ms";
    private static string Ratio(double theirs, double ours) => (theirs / ours).ToString("F1", CultureInfo.InvariantCulture) + "x";

    private static string CpuModel()
        => File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";

    private static string PackageVersion(string package)
    {
        string status = "/var/lib/dpkg/status";
        bool inPackage = false;
        foreach (string line in File.ReadLines(status))
        {
            if (line.StartsWith("Package: ", StringComparison.Ordinal))
                inPackage = line == $"Package: {package}";
            else if (inPackage && line.StartsWith("Version: ", StringComparison.Ordinal))
                return line["Version: ".Length..];
        }
        return "(not installed)";
    }
}
