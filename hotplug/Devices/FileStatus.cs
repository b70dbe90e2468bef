using BlockDiskseq.Native;

namespace BlockDiskseq.Devices;

/// <summary>What statx reports about an open file (or, for diagnostics only, a path).</summary>
internal readonly record struct FileStatus(uint Mode, ulong Dev, ulong Ino, DeviceNumber RDev, ulong Size, ulong MountId = 0)
{
    private const uint WantedFields = LibC.STATX_TYPE | LibC.STATX_MODE | LibC.STATX_INO | LibC.STATX_SIZE | LibC.STATX_MNT_ID;

    /// <summary>The S_IFMT bits.</summary>
    internal uint Type => Mode & LibC.S_IFMT;

    /// <summary>fstat on the fd: describes exactly the object we hold, whatever the path names now.</summary>
    internal static unsafe FileStatus Of(SafeFd fd, string path)
    {
        LibC.statx_t st;
        NativeException.Check(LibC.statx(fd, "", LibC.AT_EMPTY_PATH, WantedFields, &st), "statx", path);
        return From(in st);
    }

    /// <summary>
    /// stat on a path without asking a network filesystem's server (AT_STATX_DONT_SYNC) and without
    /// triggering an automount; null if that fails. For identifying, never for deciding what to open.
    /// </summary>
    internal static unsafe FileStatus? TryOfPathCached(string path)
    {
        LibC.statx_t st;
        return LibC.statx(LibC.AT_FDCWD, path, LibC.AT_STATX_DONT_SYNC | LibC.AT_NO_AUTOMOUNT, WantedFields, &st) == 0 ? From(in st) : null;
    }

    /// <summary>stat on a path, following symlinks; null if that fails. Never use it to decide what to open.</summary>
    internal static unsafe FileStatus? TryOfPath(string path)
    {
        LibC.statx_t st;
        return LibC.statx(LibC.AT_FDCWD, path, 0, WantedFields, &st) == 0 ? From(in st) : null;
    }

    private static FileStatus From(in LibC.statx_t st) => new(
        st.stx_mode,
        LibC.makedev(st.stx_dev_major, st.stx_dev_minor),
        st.stx_ino,
        new DeviceNumber(st.stx_rdev_major, st.stx_rdev_minor),
        st.stx_size,
        (st.stx_mask & LibC.STATX_MNT_ID) != 0 ? st.stx_mnt_id : 0);

    /// <summary>"a directory", "a FIFO", ...: for messages about what a target is instead of a file or block device.</summary>
    internal string TypeName => Type switch
    {
        LibC.S_IFREG => "a regular file",
        LibC.S_IFBLK => "a block device",
        LibC.S_IFDIR => "a directory",
        LibC.S_IFCHR => "a character device",
        LibC.S_IFIFO => "a FIFO",
        LibC.S_IFSOCK => "a socket",
        LibC.S_IFLNK => "a symbolic link",
        _ => $"of unknown type 0{System.Convert.ToString(Type, 8)}",
    };
}
