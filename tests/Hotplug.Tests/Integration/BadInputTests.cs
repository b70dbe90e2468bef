using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Sockets;
using BlockDiskseq.TestSupport;
using TestXenstored;
using Xunit;
using Xunit.Abstractions;

namespace BlockDiskseq.Tests.Integration;

/// <summary>
/// Bad input of every kind libxl, a person or a broken host can produce. Each
/// must fail with exit 1 (never 134), one clear line in hotplug-error and hotplug-status = error (busy for
/// sharing), and leave no loop device bound to the image.
/// </summary>
[Collection(LoopDeviceCollection.Name)]
public sealed class BadInputTests : IDisposable
{
    private readonly HotplugHarness world = new();
    private readonly TestImage image;
    private readonly TestBackend be;

    private readonly ITestOutputHelper output;

    public BadInputTests(ITestOutputHelper output)
    {
        this.output = output;
        image = world.Image();
        be = world.Backend(50, 51712, image.Path);
    }

    public void Dispose() => world.Dispose();

    [IntegrationTheory]
    [InlineData("params missing", "backend/vbd/50/51712/params is missing")]
    [InlineData("params empty", "backend/vbd/50/51712/params is empty")]
    [InlineData("params with NUL", "backend/vbd/50/51712/params contains a NUL byte")]
    [InlineData("mode missing", "backend/vbd/50/51712/mode is missing")]
    [InlineData("mode empty", "backend/vbd/50/51712/mode is empty")]
    [InlineData("mode x", "mode \"x\" is not one of r, w, w!, ro, rw, rw!")]
    [InlineData("mode W", "mode \"W\" is not one of")]
    [InlineData("mode r!", "mode \"r!\" is not one of")]
    [InlineData("mode w newline", "mode \"w\\n\" is not one of")]
    [InlineData("relative garbage", "has a \"..\" path component")]
    [InlineData("bare name that does not exist", "open on /dev/no-such-disk-block-diskseq: No such file or directory (ENOENT)")]
    [InlineData("nonexistent path", "No such file or directory (ENOENT)")]
    [InlineData("directory", "is a directory, not a regular file or block device")]
    [InlineData("directory read-only", "is a directory, not a regular file or block device")]
    [InlineData("fifo", "is a FIFO, not a regular file or block device")]
    [InlineData("socket", "is a socket, not a regular file or block device")]
    [InlineData("char device", "/dev/null is a character device, not a regular file or block device")]
    [InlineData("zero-length file", "is empty")]
    [InlineData("511-byte file", "is empty to a guest: 511 bytes, less than one 512-byte sector")]
    [InlineData("newline in params", "contains a control character")]
    [InlineData("control character in params", "contains a control character")]
    [InlineData("trailing slash", "ends with \"/\"")]
    [InlineData("double slash", "has an empty path component")]
    [InlineData("/dev/mapper/control", "is the device-mapper control node, not a device")]
    [InlineData("/dev/mapper/..", "is not a device-mapper name")]
    [InlineData("dot", "has a \".\" path component")]
    [InlineData("dot dot", "has a \"..\" path component")]
    [InlineData("state 5", "backend state is 5: the toolstack is tearing the device down")]
    [InlineData("state 6", "backend state is 6: the toolstack is tearing the device down")]
    [InlineData("state 1", "backend state is \"1\", not 2 (InitWait): blkback is not waiting for a device")]
    [InlineData("state 4", "backend state is \"4\", not 2 (InitWait)")]
    [InlineData("state missing", "backend state is missing")]
    [InlineData("type qdisk", "backend type is \"qdisk\", expected \"phy\"")]
    [InlineData("type missing", "backend type is missing, expected \"phy\"")]
    [InlineData("frontend-id mismatch", "frontend-id is \"51\", expected 50 as in backend/vbd/50/51712")]
    [InlineData("frontend-id junk", "frontend-id is \"050\", expected 50")]
    [InlineData("physical-device of another script", "physical-device is already \"7:5\", and not written by block-diskseq")]
    [InlineData("opened already 1", "backend/vbd/50/51712/opened is \"1\" before physical-device was written")]
    [InlineData("EAGAIN on every commit", "xs_transaction_end")]
    [InlineData("connection dropped on a read", "xs_read")]
    public void AddFailsClearly(string situation, string error)
    {
        Arrange(situation);

        HotplugResult add = world.Run(be, "add");

        Assert.True(add.ExitCode == 1, $"{situation}: {add}");
        string? hotplugError = be["hotplug-error"];
        Assert.NotNull(hotplugError);
        output.WriteLine($"{situation}: {hotplugError}");
        Assert.Contains(error, hotplugError);
        Assert.DoesNotContain('\n', hotplugError);
        Assert.Equal("error", be["hotplug-status"]);
        Assert.Contains(hotplugError, add.Stderr);
        if (situation != "physical-device of another script")
            Assert.Null(be["physical-device"]);
        Assert.Equal(0, HotplugHarness.LoopsLeft(image));
        // libxl runs remove after a failed add: nothing of ours to remove, so it succeeds.
        HotplugResult remove = world.Run(be, "remove");
        Assert.True(remove.ExitCode == 0, $"{situation}: {remove}");
        Assert.Contains("nothing to remove", world.HotplugLogLines()[^1]);
    }

    private void Arrange(string situation)
    {
        switch (situation)
        {
            case "params missing": be.Remove("params"); break;
            case "params empty": be.Write("params", ""); break;
            case "params with NUL": be.Write("params", image.Path + "\0.img"); break;
            case "mode missing": be.Remove("mode"); break;
            case "mode empty": be.Write("mode", ""); break;
            case "mode x": be.Write("mode", "x"); break;
            case "mode W": be.Write("mode", "W"); break;
            case "mode r!": be.Write("mode", "r!"); break;
            case "mode w newline": be.Write("mode", "w\n"); break;
            case "relative garbage": be.Write("params", "../../" + image.Path.TrimStart('/')); break;
            case "bare name that does not exist": be.Write("params", "no-such-disk-block-diskseq"); break;
            case "nonexistent path": be.Write("params", image.Path + ".missing"); break;
            case "directory": be.Write("params", world.Root); break;
            case "directory read-only": be.Write("params", world.Root); be.Write("mode", "r"); break;
            case "fifo": be.Write("params", MakeFifo()); break;
            case "socket": be.Write("params", world.Server.SocketPath); break;
            case "char device": be.Write("params", "/dev/null"); break;
            case "zero-length file": be.Write("params", world.Image("empty.img", 0).Path); break;
            case "511-byte file": be.Write("params", world.Image("short.img", 511).Path); break;
            case "newline in params": be.Write("params", image.Path + "\nforged"); break;
            case "control character in params": be.Write("params", image.Path + "\u0001"); break;
            case "trailing slash": be.Write("params", image.Path + "/"); break;
            case "double slash": be.Write("params", "/" + image.Path); break;
            case "/dev/mapper/control": be.Write("params", "/dev/mapper/control"); break;
            case "/dev/mapper/..": be.Write("params", "/dev/mapper/.."); break;
            case "dot": be.Write("params", "."); break;
            case "dot dot": be.Write("params", ".."); break;
            case "state 5": be.Write("state", "5"); break;
            case "state 6": be.Write("state", "6"); break;
            case "state 1": be.Write("state", "1"); break;
            case "state 4": be.Write("state", "4"); break;
            case "state missing": be.Remove("state"); break;
            case "type qdisk": be.Write("type", "qdisk"); break;
            case "type missing": be.Remove("type"); break;
            case "frontend-id mismatch": be.Write("frontend-id", "51"); break;
            case "frontend-id junk": be.Write("frontend-id", "050"); break;
            case "physical-device of another script": be.Write("physical-device", "7:5"); break;
            case "opened already 1": be.Write("opened", "1"); break;
            case "EAGAIN on every commit": world.Server.FailNextCommits(1000); break;
            case "connection dropped on a read": world.Server.DropConnectionOnNext(XsdType.Read); break;
            default: throw new ArgumentException($"unknown situation {situation}", nameof(situation));
        }
    }

    private string MakeFifo()
    {
        string path = Path.Combine(world.Root, "fifo");
        Assert.Equal(0, TestNative.mkfifo(path, 0x180 /* 0600 */));
        return path;
    }

    [IntegrationFact]
    public void NoLoopDeviceObtainable()
    {
        Assert.True(Tools.Exists("unshare"), "unshare (util-linux) is needed");
        // In a private mount namespace /dev/loop-control is /dev/null: the ioctls fail as on a host
        // without the loop driver, and nothing outside the namespace is touched.
        using var process = world.Start(["add"], world.LibxlEnvironment(be),
            wrapper: "exec unshare --mount --propagation private sh -c 'mount --bind /dev/null /dev/loop-control && exec \"$0\" \"$@\"' \"$0\" \"$@\"");
        HotplugResult add = HotplugHarness.Finish(process);

        Assert.True(add.ExitCode == 1, add.ToString());
        // The index asked for: the lowest without a device, whose marker directory add made first.
        Assert.Matches(@"^ioctl\(LOOP_CTL_ADD, [0-9]+\) on /dev/loop-control: Inappropriate ioctl for device \(ENOTTY\)", be["hotplug-error"]);
        Assert.Equal("error", be["hotplug-status"]);
        Assert.Equal(0, HotplugHarness.LoopsLeft(image));
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(world.RunDir, "udev"), "loop*"));
    }

    [IntegrationTheory]
    [InlineData("XENBUS_PATH", null, "XENBUS_PATH is not set")]
    [InlineData("XENBUS_PATH", "backend/vbd/50", "XENBUS_PATH \"backend/vbd/50\" is not a vbd backend path")]
    [InlineData("XENBUS_PATH", "backend/vbd/50/51712/../../51/51712", "is not a vbd backend path")]
    [InlineData("XENBUS_PATH", "/local/domain/0/backend/vif/50/0", "is not a vbd backend path")]
    [InlineData("XENBUS_PATH", "backend/vbd/50/51712\n", "XENBUS_PATH \"backend/vbd/50/51712\\n\" is not a vbd backend path")]
    [InlineData("XENBUS_TYPE", "vif", "XENBUS_TYPE is \"vif\": block-diskseq serves vbd backends only")]
    [InlineData("XENSTORED_PATH", "/nonexistent/xenstored/socket", "xs_open /nonexistent/xenstored/socket ($XENSTORED_PATH): No such file or directory (ENOENT)")]
    public void EnvironmentFailuresAreLoggedWithExit1(string variable, string? value, string error)
    {
        Dictionary<string, string?> env = world.LibxlEnvironment(be);
        env[variable] = value;

        foreach (string verb in (string[])["add", "remove"])
        {
            HotplugResult result = world.Run([verb], env);

            Assert.True(result.ExitCode == 1, result.ToString());
            Assert.Contains(error, result.Stderr);
            Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        Assert.Null(be["hotplug-error"]);
        Assert.Equal(0, HotplugHarness.LoopsLeft(image));
    }

    [IntegrationTheory]
    [InlineData("frobnicate")]
    [InlineData("add", "--timeout", "soon")]
    [InlineData("add", "--unknown")]
    [InlineData("remove", "--no-wait")]
    public void UsageErrorsExit64(params string[] args)
    {
        HotplugResult result = world.Run(args, world.LibxlEnvironment(be));

        Assert.True(result.ExitCode == 64, result.ToString());
        Assert.StartsWith("Usage: block-diskseq", result.Stdout);
        Assert.Null(be["hotplug-error"]);
    }

    [IntegrationFact]
    public void ClosedStandardDescriptorsDoNotAbort()
    {
        be.Write("params", "/dev/null");
        using var process = world.Start(["add"], world.LibxlEnvironment(be), wrapper: "exec \"$0\" \"$@\" >&- 2>&-");
        HotplugResult add = HotplugHarness.Finish(process);

        Assert.Equal(1, add.ExitCode);
        Assert.Contains("is a character device", be["hotplug-error"]);
    }

    [IntegrationFact]
    public void XenstoreSocketThatRefusesConnections()
    {
        string path = Path.Combine(world.Root, "dead.sock");
        // Bound, never listening: connect gets ECONNREFUSED. Disposing the socket would unlink the file.
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        Dictionary<string, string?> env = world.LibxlEnvironment(be);
        env["XENSTORED_PATH"] = path;

        HotplugResult add = world.Run(["add"], env);

        Assert.True(add.ExitCode == 1, add.ToString());
        Assert.Contains($"xs_open {path} ($XENSTORED_PATH): Connection refused (ECONNREFUSED)", add.Stderr);
    }
}
