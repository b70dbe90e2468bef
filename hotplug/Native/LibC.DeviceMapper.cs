using System.Runtime.InteropServices;

namespace BlockDiskseq.Native;

// <linux/dm-ioctl.h>, plus the strict ABI of the "Diskseq support in device-mapper" series
// (dm-devel, 2023-06-24, v2 1-4/4; docs/protocol-facts.md §7). Names keep the header's spelling.
internal static partial class LibC
{
    internal const int DM_NAME_LEN = 128;
    internal const int DM_UUID_LEN = 129;
    internal const int DM_MAX_TYPE_NAME = 16;
    internal const uint DM_IOCTL = 0xfd;

    internal const uint DM_VERSION_MAJOR = 4;         // legacy ("sloppy") parameter checks
    internal const uint DM_VERSION_MAJOR_STRICT = 5;  // the series; mainline kernels answer EINVAL
    internal const uint DM_VERSION_MINOR_STRICT = 49; // the minor the series introduced major 5 with

    // enum { DM_VERSION_CMD = 0, ... }
    internal const uint DM_VERSION_CMD = 0;
    internal const uint DM_LIST_DEVICES_CMD = 2;
    internal const uint DM_DEV_CREATE_CMD = 3;
    internal const uint DM_DEV_REMOVE_CMD = 4;
    internal const uint DM_DEV_SUSPEND_CMD = 6;
    internal const uint DM_DEV_STATUS_CMD = 7;
    internal const uint DM_TABLE_LOAD_CMD = 9;

    /// <summary>_IOWR(type, nr, size) of asm-generic/ioctl.h: dir 3 in bits 30-31, size in 16-29.</summary>
    internal static uint _IOWR(uint type, uint nr, uint size) => (3u << 30) | (size << 16) | (type << 8) | nr;

    // _IOWR(DM_IOCTL, cmd, struct dm_ioctl) = 0xC138FD00 | cmd (sizeof(struct dm_ioctl) = 312 = 0x138).
    internal const uint DM_VERSION = 0xC138FD00 | DM_VERSION_CMD;
    internal const uint DM_LIST_DEVICES = 0xC138FD00 | DM_LIST_DEVICES_CMD;
    internal const uint DM_DEV_CREATE = 0xC138FD00 | DM_DEV_CREATE_CMD;
    internal const uint DM_DEV_REMOVE = 0xC138FD00 | DM_DEV_REMOVE_CMD;
    internal const uint DM_DEV_SUSPEND = 0xC138FD00 | DM_DEV_SUSPEND_CMD;
    internal const uint DM_DEV_STATUS = 0xC138FD00 | DM_DEV_STATUS_CMD;
    internal const uint DM_TABLE_LOAD = 0xC138FD00 | DM_TABLE_LOAD_CMD;

    // Status bits. In strict mode each ioctl rejects any flag outside its own supported set.
    internal const uint DM_READONLY_FLAG = 1u << 0;        // in/out: TABLE_LOAD
    internal const uint DM_SUSPEND_FLAG = 1u << 1;         // in/out: DEV_SUSPEND (absent = resume)
    internal const uint DM_EXISTS_FLAG = 1u << 2;          // out, strict: DEV_CREATE found the name/uuid taken
    internal const uint DM_PERSISTENT_DEV_FLAG = 1u << 3;  // in: DEV_CREATE
    internal const uint DM_ACTIVE_PRESENT_FLAG = 1u << 5;  // out
    internal const uint DM_INACTIVE_PRESENT_FLAG = 1u << 6; // out
    internal const uint DM_BUFFER_FULL_FLAG = 1u << 8;     // out: LIST_DEVICES needs a larger buffer
    internal const uint DM_DISABLE_UEVENTS_FLAG = 1u << 9; // in, strict DEV_CREATE only (legacy: ignored SKIP_BDGET)
    internal const uint DM_UEVENT_GENERATED_FLAG = 1u << 13; // out
    internal const uint DM_UUID_FLAG = 1u << 14;           // in: LIST_DEVICES also returns uuids (4.45+)
    internal const uint DM_DEFERRED_REMOVE = 1u << 17;     // in: DEV_REMOVE on last close (4.27+, Linux 3.13)

    // struct dm_name_list flags, in the word after event_nr.
    internal const uint DM_NAME_LIST_FLAG_HAS_UUID = 1;
    internal const uint DM_NAME_LIST_FLAG_DOESNT_HAVE_UUID = 2;

    /// <summary>
    /// <code>
    /// struct dm_ioctl {
    ///     __u32 version[3];       /* in/out */
    ///     __u32 data_size;        /* total size of data passed in including this struct */
    ///     __u32 data_start;       /* offset to start of data relative to start of this struct */
    ///     __u32 target_count;     /* in/out */
    ///     __s32 open_count;       /* out */
    ///     __u32 flags;            /* in/out */
    ///     __u32 event_nr;         /* in/out */
    ///     union { __u32 padding; __u32 diskseq_low; };   /* diskseq_low: strict only */
    ///     __u64 dev;              /* in/out */
    ///     char name[DM_NAME_LEN]; /* device name */
    ///     char uuid[DM_UUID_LEN]; /* unique identifier for the block device */
    ///     union { char data[7];
    ///             struct { char _padding[3]; __u32 diskseq_high; } __attribute__((packed)); };
    /// };                          /* sizeof 312, align 8 */
    /// </code>
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 312)]
    internal unsafe struct dm_ioctl
    {
        [FieldOffset(0)] public fixed uint version[3]; // {major, minor, patch}: in = what we speak, out = kernel's
        [FieldOffset(12)] public uint data_size;       // whole buffer in; bytes written back out
        [FieldOffset(16)] public uint data_start;      // payload offset; strict: 0 for no-parameter ioctls
        [FieldOffset(20)] public uint target_count;    // TABLE_LOAD: number of dm_target_spec
        [FieldOffset(24)] public int open_count;       // out; strict: must be 0 in
        [FieldOffset(28)] public uint flags;           // DM_*_FLAG
        [FieldOffset(32)] public uint event_nr;        // in: udev cookie (legacy); out: event number
        [FieldOffset(36)] public uint padding;         // legacy name of diskseq_low
        [FieldOffset(36)] public uint diskseq_low;     // strict: expected diskseq in, actual out
        [FieldOffset(40)] public ulong dev;            // huge_encode_dev(dev_t)
        [FieldOffset(48)] public fixed byte name[DM_NAME_LEN];
        [FieldOffset(176)] public fixed byte uuid[DM_UUID_LEN];
        [FieldOffset(305)] public fixed byte data[7];  // legacy: padding; strict: _padding[3] + diskseq_high
        [FieldOffset(308)] public uint diskseq_high;   // strict only
    }

    /// <summary>
    /// <code>
    /// struct dm_target_spec {
    ///     __u64 sector_start;
    ///     __u64 length;
    ///     __s32 status;          /* used when reading from kernel only */
    ///     __u32 next;            /* TABLE_LOAD: bytes from the start of this spec to the next */
    ///     char target_type[DM_MAX_TYPE_NAME];
    ///     /* parameter string follows, NUL-terminated, zero-padded to 8 bytes */
    /// };                         /* sizeof 40 */
    /// </code>
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct dm_target_spec
    {
        public ulong sector_start;
        public ulong length;
        public int status;   // strict: must be 0 in
        public uint next;    // strict: exactly round_up(40 + strlen(params) + 1, 8)
        public fixed byte target_type[DM_MAX_TYPE_NAME];
    }

    /// <summary>
    /// <code>
    /// struct dm_name_list {
    ///     __u64 dev;
    ///     __u32 next;           /* offset to the next record from the start of this one; 0 = last */
    ///     char name[];          /* then, 8-byte aligned: __u32 event_nr; __u32 flags; char uuid[] if HAS_UUID */
    /// };
    /// </code>
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct dm_name_list
    {
        public ulong dev;
        public uint next;
    }

    internal const int offsetof_dm_name_list_name = 12; // name[] follows next directly (char has align 1)

    // ioctl is variadic in C; glibc's is a plain syscall wrapper, so the fixed-argument binding is safe on
    // x86-64 and arm64. The typed last argument keeps this overload apart from other interfaces' ioctls.
    [LibraryImport(LibraryNames.LibC, SetLastError = true)]
    internal static unsafe partial int ioctl(SafeFd fd, nuint request, dm_ioctl* arg);
}
