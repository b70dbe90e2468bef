using System;

namespace BlockDiskseq.Devices;

/// <summary>sysfs under $BLOCK_DISKSEQ_SYSFS (default /sys), so tests can point device checks at a fake tree.</summary>
internal static class Sysfs
{
    internal const string RootVariable = "BLOCK_DISKSEQ_SYSFS";

    internal static string Root
        => Environment.GetEnvironmentVariable(RootVariable) is { Length: > 0 } root ? root.TrimEnd('/') : "/sys";

    /// <summary>/sys/dev/block/MAJ:MIN (decimal, unlike physical-device): a link to the device's directory.</summary>
    internal static string DevBlock(DeviceNumber device) => DevBlock(Root, device);

    internal static string DevBlock(string root, DeviceNumber device) => $"{root}/dev/block/{device.Major}:{device.Minor}";
}
