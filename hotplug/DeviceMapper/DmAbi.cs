namespace BlockDiskseq.DeviceMapper;

/// <summary>Which dm ioctl ABI the running kernel speaks; probed once by <see cref="DmControl"/>.</summary>
internal enum DmAbi
{
    /// <summary>Major version 4 (mainline): sloppy checks, no diskseq in the ioctls, udev cookies.</summary>
    Legacy,

    /// <summary>
    /// Major version 5 (the "Diskseq support in device-mapper" series): strict checks, diskseq reported by
    /// every status and checked on every lookup, dm's own uevents suppressed from create on, an EBUSY
    /// create answered with the existing device's status.
    /// </summary>
    Strict,
}
