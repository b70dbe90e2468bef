namespace BlockDiskseq.Native;

internal static partial class LibC
{
    // <linux/fs.h>: #define BLKGETDISKSEQ _IOR(0x12, 128, __u64)   (Linux 5.15, "block: add disk sequence number")
    // = (2 << 30) | (sizeof(__u64) << 16) | (0x12 << 8) | 128; the argument is a __u64 *.
    // Request numbers are uint constants (C gives them type unsigned int too): a `const nuint` above
    // int.MaxValue reads back sign-extended from another assembly's metadata (seen in the tests).
    internal const uint BLKGETDISKSEQ = 0x80081280;

    // <linux/fs.h>: #define BLKGETSIZE64 _IOR(0x12, 114, size_t): the device's size in bytes, a u64 *.
    internal const uint BLKGETSIZE64 = 0x80081272;
}
