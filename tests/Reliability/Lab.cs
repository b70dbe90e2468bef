using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Threading;
using BlockDiskseq.TestSupport;
using BlockDiskseq.Tests.Integration;
using TestXenstored;

namespace BlockDiskseq.Reliability;

/// <summary>
/// What every part runs against: the test Xenstore server, image files, block-device targets (loop devices
/// the harness attaches with losetup) and the published binary, run as libxl runs it (argv[1], XENBUS_* in
/// the environment, stdin /dev/null, cwd /), optionally under a wrapper such as strace.
/// </summary>
internal sealed class Lab : IDisposable
{
    /// <summary>Far above any run; a run that takes longer is a hang, reported as a failure.</summary>
    internal static readonly TimeSpan RunLimit = TimeSpan.FromSeconds(60);
    /// <summary>The wait for blkback inside the binary: short, so a stalled trial fails fast.</summary>
    internal const string AddTimeoutSeconds = "5";

    private readonly TestHost host = new("bdrel-");
    private readonly List<TargetDevice> targets = [];
    private readonly List<TestImage> images = [];
    private int nextDomid = 1;

    public Lab(string binary) => Binary = binary;

    public string Binary { get; }
    public string Root => host.Root;
    public XenstoreServer Server => host.Server;

    public TestImage Image(string name, long size = 4 << 20)
    {
        TestImage image = TestImage.Create(Path.Combine(Root, name), size);
        images.Add(image);
        return image;
    }

    public FileSubject FileSubject(string name) => new(Image(name));

    /// <summary>A block device target: a loop device over an image of its own, attached by the harness.</summary>
    public BlockSubject BlockSubject(string name)
    {
        var target = TargetDevice.Attach(Image(name));
        targets.Add(target);
        return new BlockSubject(target);
    }

    /// <summary>A fresh guest domain id, so no trial sees another's nodes.</summary>
    public uint NextDomid() => (uint)Interlocked.Increment(ref nextDomid);

    /// <summary>A guest's disk as libxl creates it, with an emulated blkback in InitWait.</summary>
    public Disk Disk(Subject subject, BlkbackFlavour flavour, string mode = "w")
    {
        uint domid = NextDomid();
        Server.Write($"/local/domain/{domid}/vm", $"/vm/00000000-0000-0000-0000-{domid:d12}");
        Server.Write($"/local/domain/{domid}/name", $"guest{domid}");
        var backend = new TestBackend(Server, domid, 51712);
        backend.WriteLibxlNodes(subject.Parameters, mode);
        var blkback = new BlkbackEmulator(Server, domid, 51712, flavour, host.SysfsRoot);
        return new Disk(this, subject, backend, blkback);
    }

    /// <summary>
    /// A fresh disk to run a verb on, blkback's flavour picked at random; for remove, added (unfaulted) and
    /// closed by blkback first, as libxl does before it runs remove.
    /// </summary>
    public Disk DiskFor(Subject subject, string verb, Random random)
    {
        Disk disk = Disk(subject, random.Next(2) == 0 ? BlkbackFlavour.Series : BlkbackFlavour.Mainline);
        if (verb != "remove")
            return disk;
        Outcome add = disk.Run("add");
        if (add.ExitCode != 0)
        {
            disk.Dispose();
            throw new InvalidOperationException($"the add before the remove of {subject.Parameters} failed: {add}");
        }
        disk.Blkback.Shutdown();
        return disk;
    }

    /// <summary>The environment libxl gives a vbd script, pointed at this lab.</summary>
    public Dictionary<string, string?> Environment(TestBackend backend) => new()
    {
        ["XENBUS_PATH"] = backend.Relative,
        ["XENBUS_TYPE"] = "vbd",
        ["XENBUS_BASE_PATH"] = "backend",
        ["script"] = "/etc/xen/scripts/block-diskseq",
        ["XENSTORED_PATH"] = Server.SocketPath,
        ["BLOCK_DISKSEQ_SYSFS"] = host.SysfsRoot,
        ["BLOCK_DISKSEQ_RUNDIR"] = host.RunDir,
        ["BLOCK_DISKSEQ_LOGDIR"] = host.LogDir, // not the host's /var/log/xen: thousands of runs
        ["BLOCK_DISKSEQ_TIMEOUT"] = AddTimeoutSeconds,
    };

    /// <summary>Starts the binary with a verb, behind an optional wrapper command (its arguments end with "--").</summary>
    public Process Start(TestBackend backend, string verb, IReadOnlyList<string>? wrapper = null,
                         IReadOnlyDictionary<string, string?>? environment = null)
    {
        Dictionary<string, string?> variables = Environment(backend);
        foreach ((string name, string? value) in environment ?? new Dictionary<string, string?>())
            variables[name] = value;
        return LibxlProcess.Start("exec \"$@\"", ["sh", .. wrapper ?? [], Binary, verb], variables);
    }

    public Outcome Run(TestBackend backend, string verb, IReadOnlyList<string>? wrapper = null)
    {
        using Process process = Start(backend, verb, wrapper);
        return Outcome.Finish(process);
    }

    public void Dispose()
    {
        try
        {
            foreach (TargetDevice target in targets)
                target.Dispose();
            foreach (TestImage image in images)
                Devices.DetachLeftovers(image);
        }
        finally
        {
            host.Dispose();
        }
    }
}

/// <summary>How a run of the binary ended; Hung: it outran Lab.RunLimit and the harness killed it.</summary>
internal sealed record Outcome(int ExitCode, string Stdout, string Stderr, bool Hung)
{
    internal const int KilledBySigkill = 128 + 9;

    public bool DiedOfSigkill => ExitCode == KilledBySigkill;

    public static Outcome Finish(Process process)
    {
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        bool hung = false;
        if (!process.WaitForExit(Lab.RunLimit))
        {
            hung = true;
            process.Kill();
            process.WaitForExit();
        }
        process.WaitForExit();
        return new Outcome(process.ExitCode, stdout.Result, stderr.Result, hung);
    }

    public override string ToString()
        => $"exit {ExitCode}{(Hung ? " (hung, killed by the harness)" : "")}; stderr: {Trim(Stderr)}";

    private static string Trim(string text)
    {
        string flat = text.Replace('\n', '|').TrimEnd('|');
        return flat.Length <= 600 ? flat : flat[..600] + "...";
    }
}
