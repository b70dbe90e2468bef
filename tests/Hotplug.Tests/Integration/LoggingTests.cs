using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using BlockDiskseq.TestSupport;
using Xunit;

namespace BlockDiskseq.Tests.Integration;

/// <summary>
/// Where the program's lines go: nothing on the terminal when add and remove succeed (libxl hands the script
/// its own stderr), failures on stderr, everything with --verbose; one stamped line per event in Xen's
/// hotplug log (BLOCK_DISKSEQ_LOGDIR stands in for /var/log/xen), which can never fail a run.
/// </summary>
[Collection(LoopDeviceCollection.Name)]
public sealed partial class LoggingTests : IDisposable
{
    private readonly HotplugHarness world = new();

    public void Dispose() => world.Dispose();

    /// <summary>"2026-12-03 09:12:33 UTC [4242] block-diskseq VERB backend/vbd/D/V: message", as libxl stamps its logs.</summary>
    [GeneratedRegex(@"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (\S+) \[(\d+)\] (block-diskseq \S+ \S+): (.*)$")]
    private static partial Regex LogLine();

    [IntegrationFact]
    public void AddAndRemoveSayNothingAndLogOneStampedLineEach()
    {
        TestImage image = world.Image();
        TestBackend be = world.Backend(40, 51712, image.Path);

        HotplugResult add = world.Succeed(be, "add");
        string exported = $"{be["physical-device"]} diskseq {be["diskseq"]} ({be["physical-device-path"]})";
        be.Blkback!.Shutdown();
        HotplugResult remove = world.Succeed(be, "remove");

        Assert.Equal("", add.Stdout + add.Stderr);
        Assert.Equal("", remove.Stdout + remove.Stderr);
        string[] lines = world.HotplugLogLines();
        Assert.Equal(2, lines.Length);
        Match added = LogLine().Match(lines[0]), removed = LogLine().Match(lines[1]);
        Assert.True(added.Success, lines[0]);
        Assert.True(removed.Success, lines[1]);
        Assert.Equal("block-diskseq add backend/vbd/40/51712", added.Groups[4].Value);
        Assert.Equal($"blkback holds {exported}", added.Groups[5].Value);
        Assert.Equal("block-diskseq remove backend/vbd/40/51712", removed.Groups[4].Value);
        // the emulated blkback let go before remove: autoclear may have beaten remove to the device
        Assert.Matches("^(removed|already gone:) loop ", removed.Groups[5].Value);
        Assert.NotEqual(added.Groups[3].Value, removed.Groups[3].Value); // each run's own pid
    }

    [IntegrationFact]
    public void VerbosePrintsEverything()
    {
        TestImage image = world.Image();
        TestBackend be = world.Backend(41, 51712, image.Path);

        HotplugResult add = world.Succeed(be, "add", "--verbose");

        Assert.Contains("block-diskseq add backend/vbd/41/51712: blkback holds ", add.Stderr);
        Assert.Contains(" ms] connected to Xenstore", add.Stderr);
        Assert.Single(world.HotplugLogLines()); // steps are for the terminal only
        be.Blkback!.Shutdown();
        world.Succeed(be, "remove");
    }

    [IntegrationFact]
    public void AFailureGoesToStderrAndTheLogOnce()
    {
        TestImage image = world.Image();
        TestBackend be = world.Backend(42, 51712, image.Path + ".missing");

        HotplugResult add = world.Run(be, "add");

        Assert.True(add.ExitCode == 1, add.ToString());
        string error = be["hotplug-error"]!;
        Assert.Equal($"block-diskseq add backend/vbd/42/51712: {error}\n", add.Stderr);
        Match line = LogLine().Match(Assert.Single(world.HotplugLogLines()));
        Assert.True(line.Success);
        Assert.Equal(error, line.Groups[5].Value);
    }

    /// <summary>Local time and the zone's name, from TZ as for any libc program (a made-up zone 3 hours east of UTC).</summary>
    [IntegrationFact]
    public void TheStampIsLocalTimeWithTheZoneName()
    {
        TestImage image = world.Image();
        TestBackend be = world.Backend(43, 51712, image.Path);
        Dictionary<string, string?> env = world.LibxlEnvironment(be);
        env["TZ"] = "LAB-3";
        DateTime before = DateTime.UtcNow.AddHours(3);

        HotplugResult add = world.Run(["add"], env);

        Assert.True(add.ExitCode == 0, add.ToString());
        Match line = LogLine().Match(Assert.Single(world.HotplugLogLines()));
        Assert.Equal("LAB", line.Groups[2].Value);
        DateTime stamped = DateTime.ParseExact(line.Groups[1].Value, "yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(stamped, before.AddSeconds(-1), DateTime.UtcNow.AddHours(3).AddSeconds(1));
        be.Blkback!.Shutdown();
        world.Succeed(be, "remove");
    }

    [IntegrationFact]
    public void NoLogDirectoryMeansNoLog()
    {
        TestImage image = world.Image();
        TestBackend be = world.Backend(44, 51712, image.Path);
        Dictionary<string, string?> env = world.LibxlEnvironment(be);
        string missing = Path.Combine(world.Root, "no-such-dir");
        env["BLOCK_DISKSEQ_LOGDIR"] = missing;

        HotplugResult add = world.Run(["add"], env);

        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.Equal("", add.Stderr);
        Assert.False(Directory.Exists(missing));
        be.Blkback!.Shutdown();
        world.Succeed(be, "remove");
    }

    /// <summary>
    /// A log that cannot be opened (here a directory in its place, as EROFS or EACCES would) or written (a
    /// full disk: the /dev/full device in its place) never fails the run; the skipped line is reported
    /// (syslog, and stderr with --verbose) and the run stays silent otherwise.
    /// </summary>
    [IntegrationTheory]
    [InlineData("directory", "open", "Is a directory (EISDIR), line skipped")]
    [InlineData("full disk", "write", "No space left on device (ENOSPC), line skipped")]
    public void AnUnwritableLogNeverFailsTheRun(string obstacle, string call, string reason)
    {
        string log = Path.Combine(world.LogDir, "xen-hotplug.log");
        if (obstacle == "directory")
            Directory.CreateDirectory(log);
        else
            Tools.Run("mknod", log, "c", "1", "7"); // the device /dev/full is
        TestImage image = world.Image();
        TestBackend be = world.Backend(45, 51712, image.Path);

        HotplugResult quiet = world.Run(be, "add");
        be.Blkback!.Shutdown();
        HotplugResult verbose = world.Run(be, "remove", "--verbose");

        Assert.True(quiet.ExitCode == 0, quiet.ToString());
        Assert.Equal("", quiet.Stderr);
        Assert.True(verbose.ExitCode == 0, verbose.ToString());
        string note = verbose.Stderr.Split('\n').Single(l => l.Contains("hotplug log: "));
        Assert.Equal($"block-diskseq remove backend/vbd/45/51712: hotplug log: {call} {log}: {reason}", note);
    }

    /// <summary>
    /// Issue 21, item 10: a right-to-left override and a paragraph separator in params would make stderr and
    /// the hotplug log show another name, or a second line; they arrive escaped everywhere the line goes.
    /// </summary>
    [IntegrationFact]
    public void InvisibleFormatCharactersInParamsAreEscaped()
    {
        TestImage image = world.Image();
        TestBackend be = world.Backend(46, 51712, image.Path + "\u202egmi.exe\u2029forged");

        HotplugResult add = world.Run(be, "add");

        Assert.True(add.ExitCode == 1, add.ToString());
        string logged = world.Logged(add) + "\n" + be["hotplug-error"];
        Assert.Contains(@"\u202egmi.exe\u2029forged", be["hotplug-error"]);
        Assert.Contains(@"\u202egmi.exe\u2029forged", add.Stderr);
        Assert.Contains(@"\u202egmi.exe\u2029forged", Assert.Single(world.HotplugLogLines()));
        Assert.DoesNotContain('\u202e', logged);
        Assert.DoesNotContain('\u2029', logged);
    }
}
