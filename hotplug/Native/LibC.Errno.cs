using System.Runtime.InteropServices;

namespace BlockDiskseq.Native;

internal static partial class LibC
{
    // <asm-generic/errno-base.h>, <asm-generic/errno.h>
    internal const int EPERM = 1;
    internal const int ENOENT = 2;
    internal const int EINTR = 4;
    internal const int EIO = 5;
    internal const int ENXIO = 6;
    internal const int EBADF = 9;
    internal const int EAGAIN = 11;
    internal const int ENOMEM = 12;
    internal const int EACCES = 13;
    internal const int EFAULT = 14;
    internal const int EBUSY = 16;
    internal const int EEXIST = 17;
    internal const int ENODEV = 19;
    internal const int ENOTDIR = 20;
    internal const int EISDIR = 21;
    internal const int EINVAL = 22;
    internal const int ENOSPC = 28;
    internal const int EROFS = 30;
    internal const int ERANGE = 34;
    internal const int ENOTTY = 25;
    internal const int ENOSYS = 38;
    internal const int ELOOP = 40;
    internal const int ENOTEMPTY = 39;
    internal const int ENOTBLK = 15;
    internal const int ETIMEDOUT = 110;
    internal const int ECONNREFUSED = 111;
    internal const int ECANCELED = 125;

    // strerror is not thread-safe in theory; this program calls it from one thread only.
    [LibraryImport(LibraryNames.LibC)]
    private static unsafe partial byte* strerror(int errnum);

    internal static unsafe string StrError(int errno)
        => Marshal.PtrToStringUTF8((nint)strerror(errno)) ?? $"errno {errno}";

    internal static string ErrnoName(int errno) => errno switch
    {
        EPERM => "EPERM", ENOENT => "ENOENT", EINTR => "EINTR", EIO => "EIO", ENXIO => "ENXIO",
        EBADF => "EBADF", EAGAIN => "EAGAIN", ENOMEM => "ENOMEM", EACCES => "EACCES",
        EFAULT => "EFAULT", EBUSY => "EBUSY", EEXIST => "EEXIST", ENODEV => "ENODEV",
        ENOTDIR => "ENOTDIR", EISDIR => "EISDIR", EINVAL => "EINVAL", ENOSPC => "ENOSPC",
        EROFS => "EROFS", ERANGE => "ERANGE", ENOTTY => "ENOTTY", ENOSYS => "ENOSYS",
        ELOOP => "ELOOP", ENOTEMPTY => "ENOTEMPTY", ENOTBLK => "ENOTBLK",
        ETIMEDOUT => "ETIMEDOUT", ECONNREFUSED => "ECONNREFUSED", ECANCELED => "ECANCELED",
        _ => $"errno {errno}",
    };
}
