namespace BlockDiskseq.DeviceMapper;

/// <summary>
/// libdevmapper's udev cookie (lvm2 libdm/libdevmapper.h; docs/protocol-facts.md §8), for legacy kernels only:
/// event_nr of DEV_SUSPEND (resume) and DEV_REMOVE reaches udev as DM_COOKIE, and lvm2's rules
/// (10-dm.rules: `dmsetup udevflags`) turn its upper 16 bits into DM_UDEV_* variables.
/// We pass flags that keep every rule away (no /dev/mapper link, no blkid, no systemd device unit:
/// 99-systemd.rules sets SYSTEMD_READY=0 under DISABLE_OTHER_RULES) and base 0: no semaphore, nobody waits,
/// and `dmsetup udevcomplete` does nothing for a cookie without a base. We open the device by its dev_t.
/// </summary>
internal static class DmUdevCookie
{
    internal const int DM_UDEV_FLAGS_SHIFT = 16;
    internal const uint DM_UDEV_DISABLE_DM_RULES_FLAG = 0x0001;
    internal const uint DM_UDEV_DISABLE_SUBSYSTEM_RULES_FLAG = 0x0002;
    internal const uint DM_UDEV_DISABLE_DISK_RULES_FLAG = 0x0004;
    internal const uint DM_UDEV_DISABLE_OTHER_RULES_FLAG = 0x0008;
    // libdm adds it to every cookie it sends: it tells 10-dm.rules the flags come from the activating
    // tool and are to be used as they are rather than rebuilt from the udev database.
    internal const uint DM_UDEV_PRIMARY_SOURCE_FLAG = 0x0040;

    internal const uint KeepRulesAway =
        (DM_UDEV_DISABLE_DM_RULES_FLAG | DM_UDEV_DISABLE_SUBSYSTEM_RULES_FLAG | DM_UDEV_DISABLE_DISK_RULES_FLAG
         | DM_UDEV_DISABLE_OTHER_RULES_FLAG | DM_UDEV_PRIMARY_SOURCE_FLAG) << DM_UDEV_FLAGS_SHIFT;
}
