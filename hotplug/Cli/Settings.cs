using System;
using System.Globalization;
using BlockDiskseq.Backend;
using BlockDiskseq.Reporting;

namespace BlockDiskseq.Cli;

/// <summary>The environment knobs (docs/design.md, README "Environment").</summary>
/// <param name="DiskseqTestOffset">TestHooks.DiskseqOffset: 0 except in the lab's refusal scenario.</param>
internal sealed record Settings(TimeSpan Timeout, string XenBackendSysfsRoot, ulong DiskseqTestOffset = 0)
{
    internal const string TimeoutVariable = "BLOCK_DISKSEQ_TIMEOUT";
    internal const string XenBackendSysfsVariable = "BLOCK_DISKSEQ_XEN_BACKEND_SYSFS";
    internal const string HotplugLogDirectoryVariable = "BLOCK_DISKSEQ_LOGDIR";

    /// <summary>Where Xen's hotplug log is (HotplugLog); tests point it at their own directory.</summary>
    internal string HotplugLogDirectory { get; init; } = HotplugLog.DefaultDirectory;

    /// <summary>libxl SIGKILLs the script after 40 s (LIBXL_HOTPLUG_TIMEOUT): fail cleanly well before.</summary>
    internal static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
    /// <summary>An hour is far beyond any toolstack's patience; a larger value is a typo.</summary>
    private const double MaxTimeoutSeconds = 3600;

    internal static Settings FromEnvironment(Func<string, string?> env)
    {
        string? timeout = env(TimeoutVariable);
        return new Settings(
            timeout is null ? DefaultTimeout : ParseTimeout(timeout, TimeoutVariable),
            env(XenBackendSysfsVariable) is { Length: > 0 } root ? root : "/sys",
            TestHooks.DiskseqOffset(env))
        {
            HotplugLogDirectory = env(HotplugLogDirectoryVariable) is { Length: > 0 } logDirectory
                ? logDirectory.TrimEnd('/') : HotplugLog.DefaultDirectory,
        };
    }

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
    /// Its own knob: BLOCK_DISKSEQ_SYSFS also roots the device checks, which must keep reading the real /sys.
    /// </summary>
    internal string BlkbackPhysicalDeviceAttribute(BackendPath be)
        => System.IO.Path.Combine(XenBackendSysfsRoot, "bus", "xen-backend", "devices", be.SysfsDeviceName, "physical_device");
}
