using System;
using BlockDiskseq.Reporting;

namespace BlockDiskseq.DeviceMapper;

/// <summary>What the kernel accepts as a dm name or uuid (dm-ioctl.c), checked before any ioctl.</summary>
internal static class DmIdentifiers
{
    /// <summary>DM_NAME_LEN - 1 bytes; no '/', not "control", "." or ".." (the kernel refuses those too).</summary>
    internal static string CheckName(string name)
    {
        if (name.Length is 0 or >= Native.LibC.DM_NAME_LEN || name is "control" or "." or ".." || name.Contains('/')
            || !IsPrintableAscii(name))
            throw new ArgumentException($"invalid dm device name {Printable.Quote(name)}", nameof(name));
        return name;
    }

    /// <summary>DM_UUID_LEN - 1 bytes of printable ASCII.</summary>
    internal static string CheckUuid(string uuid)
    {
        if (uuid.Length is 0 or >= Native.LibC.DM_UUID_LEN || !IsPrintableAscii(uuid))
            throw new ArgumentException($"invalid dm uuid {Printable.Quote(uuid)}", nameof(uuid));
        return uuid;
    }

    private static bool IsPrintableAscii(string text)
    {
        foreach (char c in text)
            if (c is < '!' or > '~')
                return false;
        return true;
    }
}
