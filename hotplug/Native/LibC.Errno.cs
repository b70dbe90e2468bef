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
    internal const int ENAMETOOLONG = 36;
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

    // glibc 2.32 and later (Debian 12 has 2.36): "EOPNOTSUPP" for 95, NULL for a number it does not know.
    [LibraryImport(LibraryNames.LibC)]
    private static unsafe partial byte* strerrorname_np(int errnum);

    /// <summary>The errno's symbolic name as glibc knows it ("ENOENT"), or "errno N" for an unknown number.</summary>
    internal static unsafe string ErrnoName(int errno)
        => Marshal.PtrToStringUTF8((nint)strerrorname_np(errno)) ?? $"errno {errno}";
}
