using System;
using BlockDiskseq.Devices;

namespace BlockDiskseq.DeviceMapper;

/// <summary>
/// dm_ioctl.dev and dm_name_list.dev carry huge_encode_dev(dev_t), which is new_encode_dev
/// (include/linux/kdev_t.h): minor bits 0-7, major bits 8-19, minor bits 8-19 at 20-31.
/// </summary>
internal static class HugeDev
{
    internal const uint MaxMajor = 0xfff;   // MINORBITS = 20 leaves 12 bits
    internal const uint MaxMinor = 0xfffff;

    internal static ulong Encode(DeviceNumber device)
    {
        Check(device);
        return (device.Minor & 0xff) | (device.Major << 8) | ((device.Minor & ~0xffu) << 12);
    }

    internal static DeviceNumber Decode(ulong dev)
        => new((uint)((dev & 0xfff00) >> 8), (uint)((dev & 0xff) | ((dev >> 12) & 0xfff00)));

    internal static DeviceNumber Check(DeviceNumber device)
    {
        if (device.Major > MaxMajor || device.Minor > MaxMinor || (device.Major | device.Minor) == 0)
            throw new ArgumentOutOfRangeException(nameof(device), $"{device.Major}:{device.Minor} is not a dev_t the kernel can encode");
        return device;
    }
}
