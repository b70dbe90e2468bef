using System.Runtime.InteropServices;

namespace BlockDiskseq.Native;

internal static partial class LibC
{
    // statx(2) rather than fstat(2): struct statx has one layout on every architecture (struct stat does
    // not), and it reports device numbers as major/minor pairs. Linux 4.11, glibc 2.28.

    // <fcntl.h>
    internal const int AT_FDCWD = -100;
    internal const int AT_SYMLINK_NOFOLLOW = 0x100;
    internal const int AT_EMPTY_PATH = 0x1000;   // statx(fd, "", AT_EMPTY_PATH, ...) = fstat(fd)
    internal const int AT_NO_AUTOMOUNT = 0x800;
    internal const int AT_STATX_DONT_SYNC = 0x4000; // what the inode cache has: no network filesystem's server is asked

    // <linux/stat.h>
    internal const uint STATX_TYPE = 0x1;
    internal const uint STATX_MODE = 0x2;
    internal const uint STATX_NLINK = 0x4;
    internal const uint STATX_UID = 0x8;
    internal const uint STATX_INO = 0x100;
    internal const uint STATX_SIZE = 0x200;
    internal const uint STATX_MNT_ID = 0x1000;   // Linux 5.8
    internal const uint STATX_BASIC_STATS = 0x7ff;

    internal const uint S_IFMT = 0xf000;
    internal const uint S_IFSOCK = 0xc000;
    internal const uint S_IFLNK = 0xa000;
    internal const uint S_IFREG = 0x8000;
    internal const uint S_IFBLK = 0x6000;
    internal const uint S_IFDIR = 0x4000;
    internal const uint S_IFCHR = 0x2000;
    internal const uint S_IFIFO = 0x1000;
    internal const uint S_IWUGO = 0x92;   // S_IWUSR | S_IWGRP | S_IWOTH (0222)

    /*
     * struct statx_timestamp { __s64 tv_sec; __u32 tv_nsec; __s32 __reserved; };
     * struct statx {
     *     __u32 stx_mask; __u32 stx_blksize; __u64 stx_attributes;
     *     __u32 stx_nlink; __u32 stx_uid; __u32 stx_gid; __u16 stx_mode; __u16 __spare0[1];
     *     __u64 stx_ino; __u64 stx_size; __u64 stx_blocks; __u64 stx_attributes_mask;
     *     struct statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
     *     __u32 stx_rdev_major; __u32 stx_rdev_minor; __u32 stx_dev_major; __u32 stx_dev_minor;
     *     __u64 stx_mnt_id; __u32 stx_dio_mem_align; __u32 stx_dio_offset_align;
     *     __u64 __spare3[12];
     * };   // 256 bytes; the kernel fills only what it knows and never writes past this
     */
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct statx_t
    {
        public uint stx_mask;               // 0: which fields are valid
        public uint stx_blksize;            // 4
        public ulong stx_attributes;        // 8
        public uint stx_nlink;              // 16
        public uint stx_uid;                // 20
        public uint stx_gid;                // 24
        public ushort stx_mode;             // 28: S_IFMT type and permission bits
        public ushort __spare0;             // 30
        public ulong stx_ino;               // 32
        public ulong stx_size;              // 40
        public ulong stx_blocks;            // 48
        public ulong stx_attributes_mask;   // 56
        public fixed long stx_timestamps[8]; // 64: stx_atime, stx_btime, stx_ctime, stx_mtime (unused here)
        public uint stx_rdev_major;         // 128: for device nodes
        public uint stx_rdev_minor;         // 132
        public uint stx_dev_major;          // 136: the filesystem holding the inode
        public uint stx_dev_minor;          // 140
        public ulong stx_mnt_id;            // 144: the mount's ID, as in /proc/self/mountinfo's first field
        public fixed ulong __spare3[13];    // 152: dio alignment, spare (unused here)
    }

    // C's name is `struct statx`; the struct is statx_t because C# cannot name a type like its method.
    [LibraryImport(LibraryNames.LibC, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial int statx(SafeFd dirfd, string pathname, int flags, uint mask, statx_t* statxbuf);

    [LibraryImport(LibraryNames.LibC, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial int statx(int dirfd, string pathname, int flags, uint mask, statx_t* statxbuf);

    /// <summary>With a NUL-terminated name as readdir gives it (dirent_t.d_name): no string per call.</summary>
    [LibraryImport(LibraryNames.LibC, SetLastError = true)]
    internal static unsafe partial int statx(int dirfd, byte* pathname, int flags, uint mask, statx_t* statxbuf);

    [LibraryImport(LibraryNames.LibC, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int mkdir(string pathname, uint mode);

    [LibraryImport(LibraryNames.LibC, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int rmdir(string pathname);
}
