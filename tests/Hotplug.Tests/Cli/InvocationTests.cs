using System;
using System.Collections.Generic;
using BlockDiskseq.Cli;
using BlockDiskseq.Reporting;
using Xunit;

namespace BlockDiskseq.Tests.Cli;

public class InvocationTests
{
    private static readonly Dictionary<string, string> Libxl = new()
    {
        ["XENBUS_PATH"] = "backend/vbd/5/51712",
        ["XENBUS_TYPE"] = "vbd",
        ["XENBUS_BASE_PATH"] = "backend",
        ["script"] = "/etc/xen/scripts/block-diskseq",
    };

    private static Invocation Parse(Dictionary<string, string> env, params string[] args)
        => Invocation.Parse(args, name => env.TryGetValue(name, out string? v) ? v : null);

    [Fact]
    public void LibxlAdd()
    {
        Invocation inv = Parse(Libxl, "add");
        Assert.Equal(Verb.Add, inv.Verb);
        Assert.Equal("backend/vbd/5/51712", inv.Backend!.Path);
        Assert.False(inv.NoWait);
        Assert.False(inv.Verbose);
        Assert.Equal(TimeSpan.FromSeconds(30), inv.Settings.Timeout);
        Assert.Equal("/sys", inv.Settings.SysfsRoot);
        Assert.Equal("/var/log/xen", inv.Settings.HotplugLogDirectory);
        Assert.Equal("/run/block-diskseq", inv.Settings.RunDirectory);
        Assert.Equal("/var/tmp", inv.Settings.CowDirectory);
        Assert.Equal("/dev/log", inv.Settings.SyslogPath);
    }

    [Fact]
    public void SyslogSocketFromEnvironment()
    {
        var env = new Dictionary<string, string>(Libxl) { ["BLOCK_DISKSEQ_SYSLOG"] = "/tmp/lab/log.sock" };
        Assert.Equal("/tmp/lab/log.sock", Parse(env, "add").Settings.SyslogPath);
        env["BLOCK_DISKSEQ_SYSLOG"] = "";
        Assert.Equal("/dev/log", Parse(env, "add").Settings.SyslogPath);
    }

    [Theory]
    [InlineData("BLOCK_DISKSEQ_SYSFS")]
    [InlineData("BLOCK_DISKSEQ_RUNDIR")]
    [InlineData("BLOCK_DISKSEQ_COWDIR")]
    public void DirectoriesFromEnvironment(string variable)
    {
        Func<Settings, string> read = variable switch
        {
            "BLOCK_DISKSEQ_SYSFS" => s => s.SysfsRoot,
            "BLOCK_DISKSEQ_RUNDIR" => s => s.RunDirectory,
            _ => s => s.CowDirectory,
        };
        string unset = read(Parse(Libxl, "add").Settings);
        var env = new Dictionary<string, string>(Libxl) { [variable] = "/tmp/lab/dir/" };
        Assert.Equal("/tmp/lab/dir", read(Parse(env, "add").Settings));
        env[variable] = "";
        Assert.Equal(unset, read(Parse(env, "add").Settings));
    }

    [Fact]
    public void HotplugLogDirectoryFromEnvironment()
    {
        var env = new Dictionary<string, string>(Libxl) { ["BLOCK_DISKSEQ_LOGDIR"] = "/tmp/lab/log/" };
        Assert.Equal("/tmp/lab/log", Parse(env, "add").Settings.HotplugLogDirectory);
        env["BLOCK_DISKSEQ_LOGDIR"] = "";
        Assert.Equal("/var/log/xen", Parse(env, "add").Settings.HotplugLogDirectory);
    }

    [Fact]
    public void ManualRemoveWithOptions()
    {
        Invocation inv = Parse([], "remove", "--backend", "/local/domain/0/backend/vbd/2/768", "--verbose", "--timeout", "2.5");
        Assert.Equal(Verb.Remove, inv.Verb);
        Assert.Equal(0u, inv.Backend!.BackendDomainId);
        Assert.True(inv.Verbose);
        Assert.Equal(TimeSpan.FromSeconds(2.5), inv.Settings.Timeout);
    }

    [Fact]
    public void BackendOptionWinsOverEnvironment()
        => Assert.Equal("backend/vbd/9/768", Parse(Libxl, "add", "--backend", "backend/vbd/9/768", "--no-wait").Backend!.Path);

    [Fact]
    public void TimeoutFromEnvironmentThenOption()
    {
        var env = new Dictionary<string, string>(Libxl) { ["BLOCK_DISKSEQ_TIMEOUT"] = "7" };
        Assert.Equal(TimeSpan.FromSeconds(7), Parse(env, "add").Settings.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(1), Parse(env, "add", "--timeout", "1").Settings.Timeout);
    }

    [Fact]
    public void StatusTakesAnOptionalPath()
    {
        Assert.Null(Parse([], "status").Backend);
        Assert.Equal(4u, Parse([], "status", "backend/vbd/4/51712", "--verbose").Backend!.FrontendId);
    }

    [Theory]
    [InlineData()]
    [InlineData("attach")]
    [InlineData("ADD")]
    [InlineData("add", "--backend")]
    [InlineData("add", "--timeout")]
    [InlineData("add", "--timeout", "0")]
    [InlineData("add", "--timeout", "-1")]
    [InlineData("add", "--timeout", "1e3")]
    [InlineData("add", "--timeout", " 5")]
    [InlineData("add", "--timeout", "5.")]
    [InlineData("add", "--timeout", "3601")]
    [InlineData("add", "--bogus")]
    [InlineData("add", "extra")]
    [InlineData("remove", "--no-wait")]
    [InlineData("status", "--no-wait")]
    [InlineData("status", "--timeout", "3")]
    [InlineData("status", "backend/vbd/1/768", "backend/vbd/2/768")]
    public void UsageErrors(params string[] args)
        => Assert.Throws<UsageException>(() => Parse(Libxl, args));

    [Fact]
    public void BadTimeoutInEnvironmentIsAUsageError()
    {
        var env = new Dictionary<string, string>(Libxl) { ["BLOCK_DISKSEQ_TIMEOUT"] = "soon" };
        var e = Assert.Throws<UsageException>(() => Parse(env, "add"));
        Assert.Contains("BLOCK_DISKSEQ_TIMEOUT", e.Message);
    }

    [Fact]
    public void MissingXenbusPathIsAFailureNotAUsageError()
    {
        var e = Assert.Throws<HotplugFailure>(() => Parse([], "add"));
        Assert.Contains("XENBUS_PATH is not set", e.Message);
    }

    [Theory]
    [InlineData("backend/vbd/1", "XENBUS_PATH \"backend/vbd/1\" is not a vbd backend path")]
    [InlineData("backend/vbd/1/2\nforged", "XENBUS_PATH \"backend/vbd/1/2\\nforged\" is not")]
    public void MalformedXenbusPathIsAFailureNamingIt(string path, string expected)
    {
        var env = new Dictionary<string, string>(Libxl) { ["XENBUS_PATH"] = path };
        var e = Assert.Throws<HotplugFailure>(() => Parse(env, "remove"));
        Assert.StartsWith(expected, FailureReport.Describe(e).Message);
    }

    [Theory]
    [InlineData("XENBUS_TYPE", "vif")]
    [InlineData("XENBUS_TYPE", "vbd3")]
    [InlineData("XENBUS_BASE_PATH", "frontend")]
    public void OtherDeviceKindsAreRefused(string variable, string value)
    {
        var env = new Dictionary<string, string>(Libxl) { [variable] = value };
        var e = Assert.Throws<HotplugFailure>(() => Parse(env, "add"));
        Assert.Contains(variable, e.Message);
    }
}
