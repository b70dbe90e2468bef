using System;
using BlockDiskseq.Native;

namespace BlockDiskseq.Devices;

/// <summary>
/// A block device number. Its text form is Xen's physical-device: "%x:%x" (what `stat -c %t:%T`
/// prints and blkback parses), e.g. "fd:3", "7:0".
/// </summary>
internal readonly record struct DeviceNumber(uint Major, uint Minor)
{
    // <linux/kdev_t.h>: MINORBITS 20, so a major has 12 bits and a minor 20.
    internal const uint MaxMajor = 0xfff;
    internal const uint MaxMinor = 0xfffff;

    public override string ToString() => $"{Major:x}:{Minor:x}";

    /// <summary>The glibc dev_t (stat's st_dev/st_rdev encoding).</summary>
    internal ulong ToDevT() => LibC.makedev(Major, Minor);

    internal static DeviceNumber FromDevT(ulong dev) => new(LibC.major(dev), LibC.minor(dev));

    /// <summary>"7:0" as sysfs `dev` and mountinfo's third field write it: decimal major:minor; null if not that.</summary>
    internal static DeviceNumber? ParseDecimal(string? text)
    {
        int colon = text?.IndexOf(':') ?? -1;
        return colon > 0
               && uint.TryParse(text.AsSpan(0, colon), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out uint major)
               && uint.TryParse(text.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out uint minor)
               && major <= MaxMajor && minor <= MaxMinor
            ? new DeviceNumber(major, minor)
            : null;
    }

    /// <summary>
    /// Strict form of the canonical text: lower-case hex without leading zeros (a lone "0" is zero), one
    /// colon, each part within the kernel's range. Xen's scripts and we write exactly this form; blkback's
    /// "%x" would also take "0x7:00" or " 7:0", which we refuse rather than guess at.
    /// </summary>
    internal static bool TryParse(string? text, out DeviceNumber device)
    {
        device = default;
        if (text is null)
            return false;
        int colon = text.IndexOf(':');
        if (colon < 0
            || !TryParseHexPart(text[..colon], MaxMajor, out uint major)
            || !TryParseHexPart(text[(colon + 1)..], MaxMinor, out uint minor))
            return false;
        device = new DeviceNumber(major, minor);
        return true;
    }

    private static bool TryParseHexPart(string part, uint max, out uint value)
    {
        value = 0;
        if (part.Length == 0 || part.Length > 8 || (part[0] == '0' && part.Length > 1))
            return false;
        foreach (char c in part)
        {
            int digit = HexDigits.ValueOf(c, upperCaseAllowed: false);
            if (digit < 0)
                return false;
            value = (value << 4) | (uint)digit;
        }
        return value <= max;
    }
}
