namespace BlockDiskseq.Devices;

/// <summary>sysfs under Settings.SysfsRoot (default /sys), so tests can point device checks at a tree of their own.</summary>
internal static class Sysfs
{
    /// <summary>Set once by Program.Main from Settings.SysfsRoot.</summary>
    internal static string Root { get; set; } = Cli.Settings.DefaultSysfsRoot;

    /// <summary>/sys/dev/block/MAJ:MIN (decimal, unlike physical-device): a link to the device's directory.</summary>
    internal static string DevBlock(DeviceNumber device) => DevBlock(Root, device);

    internal static string DevBlock(string root, DeviceNumber device) => $"{root}/dev/block/{device.Major}:{device.Minor}";
}
