using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using BlockDiskseq.Devices;
using BlockDiskseq.Native;
using BlockDiskseq.Sharing;
using BlockDiskseq.TestSupport;
using TestXenstored;

namespace BlockDiskseq.Tests.Integration;

/// <summary>
/// One test's world: a test Xenstore server, backends written as libxl writes them, emulated blkbacks,
/// image files, and the published binary run as libxl runs it (argv[1], XENBUS_* in the environment,
/// stdin /dev/null, cwd /). Dispose tears all of it down; loop devices bound to this test's images are
/// detached as a safety net (tests assert there are none before that).
/// </summary>
internal sealed class HotplugHarness : IDisposable
{
    /// <summary>Far above any run (an add takes milliseconds; the longest test timeout is a few seconds).</summary>
    private static readonly TimeSpan RunLimit = TimeSpan.FromSeconds(60);
    /// <summary>How long RunWhileWaiting gives add to reach its wait.</summary>
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(20);

    private readonly TestHost host = new("bdflow-");
    private readonly List<TestBackend> backends = [];
    private readonly List<TestImage> images = [];

    public string Root => host.Root;
    public string SysfsRoot => host.SysfsRoot;
    public string RunDir => host.RunDir;
    public string LogDir => host.LogDir;

    /// <summary>The lines of the hotplug log so far (none when the program wrote none).</summary>
    public string[] HotplugLogLines()
        => File.Exists(host.HotplugLogPath) ? File.ReadAllLines(host.HotplugLogPath) : [];

    /// <summary>
    /// Everything a run logged where an admin looks: its stderr (failures, and everything with --verbose) and
    /// the hotplug log (each add/remove line, warnings), which is this harness's own.
    /// </summary>
    public string Logged(HotplugResult result) => result.Stderr + "\n" + string.Join("\n", HotplugLogLines());
    public XenstoreServer Server => host.Server;

    public TestImage Image(string name = "disk.img", long size = 4 << 20)
    {
        TestImage image = TestImage.Create(Path.Combine(Root, name), size);
        images.Add(image);
        return image;
    }

    /// <summary>A guest domain (its vm path) and one of its disks, with blkback in InitWait (state 2).</summary>
    public TestBackend Backend(uint domid, uint devid, string parameters, string mode = "w",
                               BlkbackFlavour? blkback = BlkbackFlavour.Series, string? vm = null)
    {
        string domain = $"/local/domain/{TestBackend.Decimal(domid)}";
        Server.Write($"{domain}/vm", vm ?? $"/vm/00000000-0000-0000-0000-{domid:d12}");
        Server.Write($"{domain}/name", $"guest{domid}");
        var be = new TestBackend(Server, domid, devid);
        be.WriteLibxlNodes(parameters, mode);
        if (blkback is BlkbackFlavour flavour)
            be.Blkback = new BlkbackEmulator(Server, domid, devid, flavour, SysfsRoot);
        else
        {
            // Probed as xenbus probes every backend directory (its vbd on the xen-backend bus), never opened.
            Directory.CreateDirectory(Path.Combine(SysfsRoot, "bus", "xen-backend", "devices", $"vbd-{domid}-{devid}"));
            be.Write("state", "2");
        }
        backends.Add(be);
        return be;
    }

    /// <summary>The environment libxl gives a vbd script (docs/protocol-facts.md §1) pointed at this test's world.</summary>
    public Dictionary<string, string?> LibxlEnvironment(TestBackend? be) => new()
    {
        ["XENBUS_PATH"] = be?.Relative,
        ["XENBUS_TYPE"] = be is null ? null : "vbd",
        ["XENBUS_BASE_PATH"] = be is null ? null : "backend",
        ["script"] = "/etc/xen/scripts/block-diskseq",
        ["XENSTORED_PATH"] = Server.SocketPath,
        ["BLOCK_DISKSEQ_SYSFS"] = SysfsRoot,
        ["BLOCK_DISKSEQ_RUNDIR"] = RunDir,
        ["BLOCK_DISKSEQ_LOGDIR"] = LogDir,
        ["BLOCK_DISKSEQ_TIMEOUT"] = null,
    };

    public HotplugResult Run(TestBackend be, string verb, params string[] options)
        => Run([verb, .. options], LibxlEnvironment(be));

    /// <summary>Runs a verb that must succeed; the failure message carries the binary's output.</summary>
    public HotplugResult Succeed(TestBackend be, string verb, params string[] options)
    {
        HotplugResult result = Run(be, verb, options);
        Xunit.Assert.True(result.ExitCode == 0, $"{verb} {be.Relative}: {result}");
        return result;
    }

    /// <summary>
    /// Runs a verb under strace -f, keeping only the open calls; returns the result and the lines of the
    /// trace that name <paramref name="path"/> in quotes (the calls that opened it).
    /// </summary>
    public (HotplugResult Result, string[] Opens) RunTracingOpens(TestBackend be, string verb, string path)
    {
        (HotplugResult result, string[] trace) = RunTraced(be, verb, "-e trace=open,openat,openat2");
        return (result, trace.Where(line => line.Contains($"\"{path}\"", StringComparison.Ordinal)).ToArray());
    }

    /// <summary>Runs a verb under `strace -f -qq OPTIONS`: its result and the trace's lines ("PID syscall(...) = ...").</summary>
    public (HotplugResult Result, string[] Trace) RunTraced(TestBackend be, string verb, string straceOptions)
    {
        Xunit.Assert.True(Tools.Exists("strace"), "strace is needed: install.sh --deps-only installs it");
        string trace = Path.Combine(Root, $"strace-{Guid.NewGuid():n}");
        using Process process = Start([verb], LibxlEnvironment(be),
            wrapper: $"exec strace -f -qq {straceOptions} -o {trace} \"$0\" \"$@\"");
        HotplugResult result = Finish(process);
        return (result, File.ReadAllLines(trace));
    }

    public HotplugResult Run(string[] args, IReadOnlyDictionary<string, string?> environment)
    {
        using Process process = Start(args, environment);
        return Finish(process);
    }

    /// <summary>
    /// An image and a backend whose emulated blkback does not open the device (Stall) until the test lets it:
    /// an add started on it stays in its wait for blkback (RunWhileWaiting, StartWaiting).
    /// </summary>
    public (TestImage Image, TestBackend Backend) StalledBackend(uint domid, BlkbackFlavour flavour = BlkbackFlavour.Series)
    {
        TestImage image = Image();
        TestBackend be = Backend(domid, 51712, image.Path, "w", flavour);
        be.Blkback!.Stall = true;
        return (image, be);
    }

    /// <summary>Starts a verb, waits until it has written physical-device (so add is in its wait), then acts.</summary>
    public HotplugResult RunWhileWaiting(TestBackend be, string[] args, Action act)
    {
        using Process process = StartWaiting(be, args);
        Xunit.Assert.True(!process.HasExited, $"{args[0]} never wrote physical-device");
        act();
        return Finish(process);
    }

    /// <summary>
    /// Starts a verb and returns once it has written physical-device (so add is in its wait) or has ended;
    /// the caller must Finish it. One that does neither within WaitLimit is killed and fails the test.
    /// </summary>
    public Process StartWaiting(TestBackend be, string[] args)
    {
        Process process = Start(args, LibxlEnvironment(be));
        if (SpinWait.SpinUntil(() => be["physical-device"] is not null || process.HasExited, WaitLimit))
            return process;
        process.Kill();
        HotplugResult killed = Finish(process);
        process.Dispose();
        throw new TimeoutException($"{args[0]} never wrote physical-device within {WaitLimit}: {killed}");
    }

    /// <summary>Two adds started at the same moment, each run to its end.</summary>
    public (HotplugResult First, HotplugResult Second) AddTogether(TestBackend first, TestBackend second)
    {
        using Process a = Start(["add"], LibxlEnvironment(first));
        using Process b = Start(["add"], LibxlEnvironment(second));
        HotplugResult ra = Finish(a);
        return (ra, Finish(b));
    }

    /// <summary>Starts the binary; the caller must Finish (or kill and Finish) it.</summary>
    public Process Start(string[] args, IReadOnlyDictionary<string, string?> environment, string? wrapper = null) =>
        LibxlProcess.Start(wrapper ?? "exec \"$0\" \"$@\"", [Requirements.Binary, .. args], environment);

    public static HotplugResult Finish(Process process)
    {
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(RunLimit))
        {
            process.Kill();
            process.WaitForExit();
            throw new TimeoutException($"block-diskseq ran longer than {RunLimit}");
        }
        return new HotplugResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>How many loop devices are still bound to the image after the settle wait (TestSupport.LoopsLeft).</summary>
    public static int LoopsLeft(TestImage image) => TestSupport.LoopsLeft.On(image.StDev, image.StIno).Count;

    public void Dispose()
    {
        try
        {
            foreach (TestBackend be in backends)
                be.Blkback?.Dispose();
        }
        finally
        {
            foreach (TestImage image in images)
                DetachLeftovers(image);
            DeleteMadeDevices();
            host.Dispose();
        }
    }

    /// <summary>
    /// Every loop device the binary made in this test (it marks each one under its run directory, UdevMarker)
    /// and no remove deleted: a test that ends without remove leaves it free. LOOP_CTL_REMOVE refuses (EBUSY)
    /// one that is bound or open, so a device someone else took meanwhile is never hit.
    /// </summary>
    private void DeleteMadeDevices()
    {
        string markers = Path.Combine(RunDir, "udev");
        if (!Directory.Exists(markers))
            return;
        using SafeFd control = NativeException.Check(
            LibC.open(LoopDevice.ControlPath, LibC.O_RDWR | LibC.O_CLOEXEC, 0), "open", LoopDevice.ControlPath);
        foreach (string dir in Directory.EnumerateDirectories(markers, "loop*"))
        {
            if (int.TryParse(Path.GetFileName(dir)["loop".Length..], out int number))
                _ = LibC.ioctl(control, LibC.LOOP_CTL_REMOVE, number);
        }
    }

    /// <summary>Loop devices still bound to a test image are the test's own leak: detach them (only those).</summary>
    internal static void DetachLeftovers(TestImage image)
    {
        foreach (DeviceNumber device in LocalUsage.LoopsBackedBy(image.StDev, image.StIno).ToList())
        {
            using LoopDevice? loop = LoopDevice.OpenExisting(device);
            loop?.Detach();
        }
    }
}
