using System;
using System.Globalization;
using BlockDiskseq.Backend;
using BlockDiskseq.Reporting;

namespace BlockDiskseq.Cli;

/// <summary>
/// The environment knobs (docs/design.md, README "Environment"), read here and nowhere else: Program.Main
/// reads them once (through Invocation) and hands each part to what uses it.
/// </summary>
/// <param name="SysfsRoot">
/// The one sysfs root ($BLOCK_DISKSEQ_SYSFS, default /sys): the device checks (Devices.Sysfs) and what
/// blkback holds (bus/xen-backend). Tests give a tree of links to the real /sys with their own bus/xen-backend.
/// </param>
/// <param name="DiskseqTestOffset">TestHooks.DiskseqOffset: 0 except in the lab's refusal scenario.</param>
internal sealed record Settings(TimeSpan Timeout, string SysfsRoot, ulong DiskseqTestOffset = 0)
{
    internal const string TimeoutVariable = "BLOCK_DISKSEQ_TIMEOUT";
    internal const string SysfsVariable = "BLOCK_DISKSEQ_SYSFS";
    internal const string HotplugLogDirectoryVariable = "BLOCK_DISKSEQ_LOGDIR";
    internal const string RunDirectoryVariable = "BLOCK_DISKSEQ_RUNDIR";
    internal const string CowDirectoryVariable = "BLOCK_DISKSEQ_COWDIR";
    internal const string SyslogVariable = "BLOCK_DISKSEQ_SYSLOG";

    internal const string DefaultSysfsRoot = "/sys";
    internal const string DefaultRunDirectory = "/run/block-diskseq";
    /// <summary>Disk-backed and present everywhere, unlike /run (memory) or /tmp (often tmpfs).</summary>
    internal const string DefaultCowDirectory = "/var/tmp";

    /// <summary>Where Xen's hotplug log is (HotplugLog); tests point it at their own directory.</summary>
    internal string HotplugLogDirectory { get; init; } = HotplugLog.DefaultDirectory;

    /// <summary>The per-backing-object lock files (BackingLock).</summary>
    internal string RunDirectory { get; init; } = DefaultRunDirectory;

    /// <summary>Where a throwaway snapshot's COW file is made (ThrowawayCow).</summary>
    internal string CowDirectory { get; init; } = DefaultCowDirectory;

    /// <summary>The syslog daemon's datagram socket (SyslogSocket); tests point it at a socket of their own.</summary>
    internal string SyslogPath { get; init; } = SyslogSocket.DefaultPath;

    /// <summary>libxl SIGKILLs the script after 40 s (LIBXL_HOTPLUG_TIMEOUT): fail cleanly well before.</summary>
    internal static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
    /// <summary>An hour is far beyond any toolstack's patience; a larger value is a typo.</summary>
    private const double MaxTimeoutSeconds = 3600;

    internal static Settings FromEnvironment(Func<string, string?> env)
    {
        string? timeout = env(TimeoutVariable);
        return new Settings(
            timeout is null ? DefaultTimeout : ParseTimeout(timeout, TimeoutVariable),
            Directory(env, SysfsVariable) ?? DefaultSysfsRoot,
            TestHooks.DiskseqOffset(env))
        {
            HotplugLogDirectory = Directory(env, HotplugLogDirectoryVariable) ?? HotplugLog.DefaultDirectory,
            RunDirectory = Directory(env, RunDirectoryVariable) ?? DefaultRunDirectory,
            CowDirectory = Directory(env, CowDirectoryVariable) ?? DefaultCowDirectory,
            SyslogPath = env(SyslogVariable) is { Length: > 0 } syslog ? syslog : SyslogSocket.DefaultPath,
        };
    }

    /// <summary>A directory variable: unset or empty means the default; a trailing "/" is dropped.</summary>
    private static string? Directory(Func<string, string?> env, string variable)
        => env(variable) is { Length: > 0 } directory ? (directory.TrimEnd('/') is { Length: > 0 } trimmed ? trimmed : "/") : null;

    /// <summary>Seconds, digits with an optional fraction ("30", "0.5"); no sign, no exponent, no spaces.</summary>
    internal static TimeSpan ParseTimeout(string text, string source)
    {
        bool wellFormed = text.Length is > 0 and <= 12 && char.IsAsciiDigit(text[0]) && char.IsAsciiDigit(text[^1])
            && text.AsSpan().IndexOfAnyExcept("0123456789.") < 0 && text.AsSpan().Count('.') <= 1;
        if (!wellFormed || !double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double seconds)
            || seconds <= 0 || seconds > MaxTimeoutSeconds)
            throw new UsageException($"{source} must be a number of seconds in (0, {MaxTimeoutSeconds}], not {Printable.Quote(text)}");
        return TimeSpan.FromSeconds(seconds);
    }

    /// <summary>
    /// The attribute mainline blkback creates once it has opened the device (xenvbd_sysfs_addif, docs/protocol-facts.md §5).
    /// </summary>
    internal string BlkbackPhysicalDeviceAttribute(BackendPath be)
        => System.IO.Path.Combine(SysfsRoot, "bus", "xen-backend", "devices", be.SysfsDeviceName, "physical_device");
}
