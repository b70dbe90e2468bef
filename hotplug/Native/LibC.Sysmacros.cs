namespace BlockDiskseq.Native;

internal static partial class LibC
{
    // <sys/sysmacros.h>: glibc's 64-bit dev_t encoding, which is also the kernel's "huge" encoding used in
    // stat's st_dev/st_rdev and loop_info64.lo_device (new_encode_dev for 12-bit majors and 20-bit minors):
    //   bits 0-7 minor low, 8-19 major low, 20-43 minor high, 44-63 major high.
    internal static uint major(ulong dev) => (uint)(((dev >> 32) & 0xfffff000) | ((dev >> 8) & 0x00000fff));

    internal static uint minor(ulong dev) => (uint)(((dev >> 12) & 0xffffff00) | (dev & 0x000000ff));

    internal static ulong makedev(uint major, uint minor)
        => ((ulong)(major & 0x00000fff) << 8) | ((ulong)(major & 0xfffff000) << 32)
         | (minor & 0x000000ffUL) | ((ulong)(minor & 0xffffff00) << 12);
}
