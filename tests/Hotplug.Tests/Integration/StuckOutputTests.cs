using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net.Sockets;
using System.Text;
using BlockDiskseq.Devices;
using BlockDiskseq.TestSupport;
using Microsoft.Win32.SafeHandles;
using Xunit;

namespace BlockDiskseq.Tests.Integration;

/// <summary>
/// Issue 21, item 8: a syslog daemon that stops reading, or a stderr nobody reads, never holds add. glibc's
/// syslog blocked on a full /dev/log, and the failure was logged before hotplug-error was written, so libxl
/// saw neither until it killed the script. The daemon here is a datagram socket the test binds and fills
/// until the kernel refuses more (net.unix.max_dgram_qlen), made /dev/log for the binary alone: in a private
/// mount namespace whose /dev is an overlay over the real one (nothing outside it changes).
/// </summary>
[Collection(LoopDeviceCollection.Name)]
public sealed class StuckOutputTests : IDisposable
{
    /// <summary>Proves "did not hang", nothing more: an add takes milliseconds, a stuck one never ended.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private readonly HotplugHarness world = new();
    private readonly List<Socket> sockets = [];

    public void Dispose()
    {
        foreach (Socket socket in sockets)
            socket.Dispose();
        world.Dispose();
    }

    [IntegrationFact]
    public void AFailingAddWritesItsNodesAndEndsWhileSyslogIsStuck()
    {
        TestBackend be = world.Backend(70, 51712, "/nonexistent/block-diskseq.img");

        HotplugResult add = RunWithDevLog(be, FullSyslog());

        Assert.True(add.ExitCode == 1, add.ToString());
        Assert.Equal("error", be["hotplug-status"]);
        Assert.Contains("No such file or directory (ENOENT)", be["hotplug-error"]);
        Assert.Contains(be["hotplug-error"]!, add.Stderr); // stderr is not what was stuck
        Assert.Matches(@"syslog: [1-9]\d* line\(s\) dropped, not waited for \(send /dev/log: Resource temporarily unavailable \(EAGAIN\)\)$",
            world.HotplugLogLines()[^1]);
    }

    [IntegrationFact]
    public void ASuccessfulAddEndsWhileSyslogIsStuck()
    {
        TestImage image = world.Image();
        using var device = new AdminLoop(image.Path); // the test's own, bound before the run: no new /dev node inside
        TestBackend be = world.Backend(71, 51712, device.Path);

        HotplugResult add = RunWithDevLog(be, FullSyslog());

        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.Equal("connected", be["hotplug-status"]);
        Assert.Equal(device.Device.ToString(), be["physical-device"]);
        be.Blkback!.Shutdown();
        world.Succeed(be, "remove");
    }

    /// <summary>A pipe whose reader never reads, already full, as stderr: the failure still reaches Xenstore.</summary>
    [IntegrationFact]
    public void AFailingAddWritesItsNodesAndEndsWhileStderrIsStuck()
    {
        TestBackend be = world.Backend(72, 51712, "/nonexistent/block-diskseq.img");
        string fifo = Path.Combine(world.Root, "stderr.fifo");
        Assert.Equal(0, TestNative.mkfifo(fifo, 0x180));
        // Opened for reading and writing: never blocks, and keeps a reader that never reads.
        using SafeFileHandle reader = File.OpenHandle(fifo, FileMode.Open, FileAccess.ReadWrite);

        // 65536 bytes fill a pipe of the default capacity (16 pages) exactly, without blocking.
        HotplugResult add = FinishWithin(world.Start(["add", "--verbose"], world.LibxlEnvironment(be),
            wrapper: $"exec 2>'{fifo}'; head -c 65536 /dev/zero >&2; exec \"$0\" \"$@\""));

        Assert.True(add.ExitCode == 1, add.ToString());
        Assert.Equal("error", be["hotplug-status"]);
        Assert.Contains("No such file or directory (ENOENT)", be["hotplug-error"]);
        Assert.Matches(@"stderr: [1-9]\d* line\(s\) dropped or cut: nobody was reading it$", world.HotplugLogLines()[^1]);
    }

    [IntegrationFact]
    public void LinesArriveAtTheSyslogSocket()
    {
        string path = Path.Combine(world.Root, "syslog.sock");
        Socket daemon = Bind(path);
        TestBackend be = world.Backend(73, 51712, "/nonexistent/block-diskseq.img");
        Dictionary<string, string?> env = world.LibxlEnvironment(be);
        env["BLOCK_DISKSEQ_SYSLOG"] = path;

        HotplugResult add = world.Run(["add"], env);

        Assert.True(add.ExitCode == 1, add.ToString());
        daemon.Blocking = false; // the line was sent before the process ended: it is queued already
        byte[] buffer = new byte[8192];
        string line = Encoding.UTF8.GetString(buffer, 0, daemon.Receive(buffer));
        // daemon (3 << 3) | LOG_ERR (3) = 27, then glibc's RFC 3164 stamp, ident and pid.
        Assert.Matches(@"^<27>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d block-diskseq\[\d+\]: block-diskseq add backend/vbd/73/51712: ", line);
        Assert.EndsWith(be["hotplug-error"]!, line);
    }

    /// <summary>A bound datagram socket whose queue is full: the next datagram from anyone answers EAGAIN.</summary>
    private string FullSyslog()
    {
        string path = Path.Combine(world.Root, "full-syslog.sock");
        Bind(path);
        for (int sender = 0; sender < 100; sender++)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified) { Blocking = false };
            sockets.Add(socket);
            socket.Connect(new UnixDomainSocketEndPoint(path));
            int sent = 0;
            while (TrySend(socket))
                sent++;
            if (sent == 0)
                return path; // the queue itself refused, not this sender's own buffer
        }
        throw new InvalidOperationException($"could not fill {path}");
    }

    private static bool TrySend(Socket socket)
    {
        try
        {
            socket.Send("<27>filler"u8);
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
        {
            return false;
        }
    }

    private Socket Bind(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        sockets.Add(socket);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        return socket;
    }

    /// <summary>The binary with /dev/log leading to <paramref name="socket"/>, in its own mount namespace.</summary>
    private HotplugResult RunWithDevLog(TestBackend be, string socket)
    {
        Assert.True(Tools.Exists("unshare"), "unshare (util-linux) is needed");
        string upper = Directory.CreateDirectory(Path.Combine(world.Root, "dev-upper")).FullName;
        string work = Directory.CreateDirectory(Path.Combine(world.Root, "dev-work")).FullName;
        string inside = $"mount -t overlay overlay -o lowerdir=/dev,upperdir={upper},workdir={work} /dev && ln -s {socket} /dev/log && exec \"$0\" \"$@\"";
        return FinishWithin(world.Start(["add"], world.LibxlEnvironment(be),
            wrapper: $"exec unshare --mount --propagation private sh -c '{inside}' \"$0\" \"$@\""));
    }

    /// <summary>The result, or a failed test if the binary was still running after Bound (it is killed).</summary>
    private static HotplugResult FinishWithin(Process process)
    {
        using (process)
        {
            if (!process.WaitForExit(Bound))
            {
                process.Kill();
                HotplugResult stuck = HotplugHarness.Finish(process);
                Assert.Fail($"block-diskseq still ran after {Bound.TotalSeconds} s: {stuck}");
            }
            return HotplugHarness.Finish(process);
        }
    }
}
