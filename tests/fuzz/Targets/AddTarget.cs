using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using BlockDiskseq.Backend;
using BlockDiskseq.Cli;
using BlockDiskseq.DeviceMapper;
using BlockDiskseq.Devices;
using BlockDiskseq.Reporting;
using BlockDiskseq.Sharing;
using BlockDiskseq.TestSupport;
using TestXenstored;
using XenstoreInterop;

namespace BlockDiskseq.Fuzz;

/// <summary>
/// A whole add, then remove, against the test Xenstore server (an in-memory store) with real loop and
/// device-mapper devices. The input is the backend directory: lines "KEY=VALUE" for the keys below (params,
/// mode, state, type, frontend-id, and nodes an earlier run may have left: physical-device, the record...).
/// After each run it checks what a toolstack relies on:
///   - a failure is our own (HotplugFailure or an I/O error), never "internal error";
///   - a successful add exported physical-device, diskseq and the record together, naming one device;
///   - a failed add left physical-device, diskseq and the record as they were;
///   - after remove, no loop device backed by the scratch images and no dm device of this vbd remains.
/// Safety: params may only name the three scratch images (checked with the program's own parsers before
/// anything runs), and a record the input wrote itself is deleted before remove, so a guessed record can
/// never make remove touch a device of someone else on this machine.
/// </summary>
internal sealed class AddTarget : IDisposable
{
    /// <summary>A frontend id no test or lab uses, so the dm names block-diskseq-32000-* are ours alone.</summary>
    internal const uint FrontendId = 32000;
    internal const uint DeviceId = 51712;
    internal const string ScratchDirectory = "/tmp/bdf";
    internal static readonly string[] Images = [ScratchDirectory + "/a", ScratchDirectory + "/b", ScratchDirectory + "/c"];
    private const long ImageBytes = 4 << 20;

    internal static readonly string[] Keys =
    [
        BackendNodes.Params, BackendNodes.Mode, BackendNodes.State, BackendNodes.Type, BackendNodes.FrontendId,
        BackendNodes.PhysicalDevice, BackendNodes.Diskseq, BackendNodes.PhysicalDevicePath, BackendNodes.LoopNode,
        BackendNodes.Opened, BackendNodes.HotplugStatus, BackendNodes.HotplugError,
        BackendNodes.OwnDirectory + "/" + BackendNodes.Layers, BackendNodes.OwnDirectory + "/" + BackendNodes.WaitMethod,
    ];

    private readonly XenstoreServer server;
    private readonly string root;
    private readonly BackendPath be;
    private readonly (ulong Dev, ulong Ino)[] imageIds;

    /// <summary>How many inputs got as far as creating a device (the rest were refused earlier).</summary>
    public long Exported { get; private set; }

    public AddTarget()
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException();
        Directory.CreateDirectory(ScratchDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        foreach (string image in Images)
        {
            using FileStream f = File.Open(image, FileMode.OpenOrCreate, FileAccess.ReadWrite);
            f.SetLength(ImageBytes);
        }
        imageIds = Images.Select(image => FileStatus.TryOfPath(image) is { } s ? (s.Dev, s.Ino) : throw new IOException(image)).ToArray();
        root = Directory.CreateTempSubdirectory("bdf-xs-").FullName;
        server = XenstoreServer.Start(Path.Combine(root, "xs.sock"));
        server.Write("/local/domain/0/domid", "0");
        NativeEnv.Set("XENSTORED_PATH", server.SocketPath);
        BackingLock.RunDir = Path.Combine(root, "run");
        if (!BackendPath.TryParse($"/local/domain/0/backend/vbd/{FrontendId}/{DeviceId}", out BackendPath? path))
            throw new InvalidOperationException("backend path");
        be = path;
    }

    public void Dispose()
    {
        server.Dispose();
        Directory.Delete(root, recursive: true);
    }

    internal static Dictionary<string, string> ParseInput(ReadOnlySpan<byte> input)
    {
        var nodes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in Encoding.UTF8.GetString(input).Split('\n'))
        {
            int equals = line.IndexOf('=');
            if (equals > 0 && Array.IndexOf(Keys, line[..equals]) >= 0)
                nodes[line[..equals]] = line[(equals + 1)..];
        }
        return nodes;
    }

    /// <summary>True if params names nothing but the scratch images (or is refused by the parsers before anything is opened).</summary>
    internal static bool IsSafe(string? parameters)
    {
        if (parameters is null)
            return true;
        IEnumerable<DiskTarget> targets;
        try
        {
            targets = !DmDiskSpec.IsDmForm(parameters) ? [DiskTarget.Parse(parameters)] : DmDiskSpec.Parse(parameters) switch
            {
                SnapshotSpec s => [s.Origin, s.Cow],
                ThrowawaySnapshotSpec t => [t.Origin],
                SliceSpec s => [s.Path],
                _ => [new DiskTarget("/")],
            };
        }
        catch (HotplugFailure)
        {
            return true;
        }
        return targets.All(target => Array.IndexOf(Images, target.Path) >= 0);
    }

    public void Run(ReadOnlySpan<byte> input)
    {
        Dictionary<string, string> nodes = ParseInput(input);
        if (!IsSafe(nodes.GetValueOrDefault(BackendNodes.Params)))
            return;
        ResetImages();
        server.Remove("/local/domain/0/backend");
        foreach ((string key, string value) in nodes)
            server.Write(be.Node(key), value);
        string recordNode = ExportNodes.RecordNode(be);
        Snapshot before = Read(recordNode);

        using (Xenstore xs = Xenstore.Open())
        {
            Exception? failure = Attempt(() => Add.Run(xs, Invoke(Verb.Add), new Deadline(TimeSpan.FromSeconds(10))));
            Snapshot after = Read(recordNode);
            if (failure is null && before.PhysicalDevice is null)
                CheckExported(after);
            else if (failure is not null || before.PhysicalDevice is not null)
                Require(after == before, $"add {(failure is null ? "found an export" : "failed")} but changed the nodes: {before} -> {after}");
            if (after.Record is not null && after.Record == before.Record)
                server.Remove(recordNode); // the input's own record: never let remove act on guessed devices
            Attempt(() => Remove.Run(xs, Invoke(Verb.Remove)));
        }
        CheckNothingLeft();
    }

    private Invocation Invoke(Verb verb)
        => new(verb, be, NoWait: true, Verbose: false, new Settings(TimeSpan.FromSeconds(10), "/nonexistent"));

    /// <summary>Runs add or remove; returns its failure, which must be one a toolstack is told about, not an internal error.</summary>
    private static Exception? Attempt(Action action)
    {
        try
        {
            action();
            return null;
        }
        catch (Exception e)
        {
            (string message, _) = FailureReport.Describe(e);
            if (message.StartsWith("internal error", StringComparison.Ordinal))
                throw new ParserBroken($"{message}\n{e}");
            Console.Error.WriteLine($"fuzz: refused: {message}");
            return e;
        }
    }

    private readonly record struct Snapshot(string? PhysicalDevice, string? Diskseq, string? Record);

    private Snapshot Read(string recordNode)
        => new(server.Read(be.Node(BackendNodes.PhysicalDevice)), server.Read(be.Node(BackendNodes.Diskseq)), server.Read(recordNode));

    private void CheckExported(Snapshot after)
    {
        Exported++;
        Require(after.PhysicalDevice is not null && after.Diskseq is not null && after.Record is not null, $"add succeeded with {after}");
        Require(DiskseqRecord.TryParse(after.Record, out DiskseqRecord record) && record.Top is CreatedLayer top
                && top.Device.ToString() == after.PhysicalDevice && DiskSequence.Format(top.Diskseq) == after.Diskseq,
                $"the record does not name the exported device: {after}");
    }

    private void ResetImages()
    {
        Span<byte> zeros = stackalloc byte[4096];
        foreach (string image in Images)
        {
            using FileStream f = File.Open(image, FileMode.Open, FileAccess.Write);
            f.Write(zeros);
            f.SetLength(ImageBytes);
        }
    }

    /// <summary>Loop teardown is synchronous at the last close, dm deferred removal nearly so: what is still there after the tests' settle limit (LoopsLeft) is a leak.</summary>
    private void CheckNothingLeft()
    {
        foreach ((ulong dev, ulong ino) in imageIds)
        {
            if (LoopsLeft.On(dev, ino) is [DeviceNumber loop, ..])
                throw new ParserBroken($"left behind after remove: loop device {loop} backed by a scratch image");
        }
        if (!LoopsLeft.Settle(() => LeftDmDevice() is null))
            throw new ParserBroken($"left behind after remove: {LeftDmDevice()}");
    }

    private static string? LeftDmDevice()
    {
        foreach (string dm in Directory.EnumerateDirectories("/sys/block", "dm-*"))
        {
            string? name = KernelFile.TryReadText(Path.Combine(dm, "dm", "name"))?.TrimEnd('\n');
            if (name is not null && name.StartsWith($"{DmName.NamePrefix}{FrontendId}-", StringComparison.Ordinal))
                return $"dm device {name}";
        }
        return null;
    }

    private static void Require(bool condition, string what)
    {
        if (!condition)
            throw new ParserBroken(what);
    }
}

/// <summary>setenv(3): libxenstore and the lock directory read the native environment, not .NET's copy.</summary>
internal static partial class NativeEnv
{
    public static void Set(string name, string value)
    {
        if (setenv(name, value, 1) != 0)
            throw new InvalidOperationException($"setenv {name}");
    }

    [System.Runtime.InteropServices.LibraryImport("libc.so.6", StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);
}
