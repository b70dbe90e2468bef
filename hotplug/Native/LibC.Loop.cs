using System.Runtime.InteropServices;

namespace BlockDiskseq.Native;

internal static partial class LibC
{
    // <linux/major.h>
    internal const uint LOOP_MAJOR = 7;

    // <linux/loop.h>: on /dev/loop-control
    internal const uint LOOP_CTL_ADD = 0x4C80;       // arg: wanted index or -1 for any; returns the index
    internal const uint LOOP_CTL_REMOVE = 0x4C81;    // arg: index
    internal const uint LOOP_CTL_GET_FREE = 0x4C82;  // returns the index of an unbound device (adds one if none)

    // <linux/loop.h>: on /dev/loopN
    internal const uint LOOP_SET_FD = 0x4C00;
    internal const uint LOOP_CLR_FD = 0x4C01;
    internal const uint LOOP_GET_STATUS64 = 0x4C05;  // struct loop_info64 *; ENXIO when unbound
    internal const uint LOOP_CONFIGURE = 0x4C0A;     // struct loop_config *; Linux 5.8

    // enum { LO_FLAGS_READ_ONLY = 1, LO_FLAGS_AUTOCLEAR = 4, LO_FLAGS_PARTSCAN = 8, LO_FLAGS_DIRECT_IO = 16 };
    internal const uint LO_FLAGS_READ_ONLY = 1;
    internal const uint LO_FLAGS_AUTOCLEAR = 4;
    internal const uint LO_FLAGS_PARTSCAN = 8;
    internal const uint LO_FLAGS_DIRECT_IO = 16;

    internal const int LO_NAME_SIZE = 64;
    internal const int LO_KEY_SIZE = 32;

    /*
     * struct loop_info64 {
     *     __u64 lo_device;            // ioctl r/o
     *     __u64 lo_inode;             // ioctl r/o
     *     __u64 lo_rdevice;           // ioctl r/o
     *     __u64 lo_offset;
     *     __u64 lo_sizelimit;         // bytes, 0 == max available
     *     __u32 lo_number;            // ioctl r/o
     *     __u32 lo_encrypt_type;      // obsolete, ignored
     *     __u32 lo_encrypt_key_size;  // ioctl w/o
     *     __u32 lo_flags;
     *     __u8  lo_file_name[LO_NAME_SIZE];
     *     __u8  lo_crypt_name[LO_NAME_SIZE];
     *     __u8  lo_encrypt_key[LO_KEY_SIZE];  // ioctl w/o
     *     __u64 lo_init[2];
     * };   // 232 bytes
     */
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct loop_info64
    {
        public ulong lo_device;             // 0: st_dev of the backing file (huge_encode_dev)
        public ulong lo_inode;              // 8: st_ino of the backing file
        public ulong lo_rdevice;            // 16
        public ulong lo_offset;             // 24
        public ulong lo_sizelimit;          // 32
        public uint lo_number;              // 40
        public uint lo_encrypt_type;        // 44
        public uint lo_encrypt_key_size;    // 48
        public uint lo_flags;               // 52: LO_FLAGS_*
        public fixed byte lo_file_name[LO_NAME_SIZE];   // 56: truncated path, informational only
        public fixed byte lo_crypt_name[LO_NAME_SIZE];  // 120
        public fixed byte lo_encrypt_key[LO_KEY_SIZE];  // 184
        public fixed ulong lo_init[2];      // 216
    }

    /*
     * struct loop_config {
     *     __u32 fd;
     *     __u32 block_size;           // 0 = the backing file's / device's default
     *     struct loop_info64 info;
     *     __u64 __reserved[8];        // must be zero
     * };   // 304 bytes
     */
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct loop_config
    {
        public uint fd;                     // 0: the backing file
        public uint block_size;             // 4: logical block size in bytes
        public loop_info64 info;            // 8
        public fixed ulong __reserved[8];   // 240
    }
}
