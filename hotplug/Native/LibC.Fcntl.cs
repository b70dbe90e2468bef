using System.Runtime.InteropServices;

namespace BlockDiskseq.Native;

internal static partial class LibC
{
    // <asm-generic/fcntl.h> (x86-64 / arm64 values)
    internal const int O_RDONLY = 0x0;
    internal const int O_RDWR = 0x2;
    internal const int O_CREAT = 0x40;
    internal const int O_EXCL = 0x80;
    internal const int O_NOCTTY = 0x100;
    internal const int O_NONBLOCK = 0x800;
    internal const int O_DIRECTORY = 0x10000;
    internal const int O_NOFOLLOW = 0x20000;
    internal const int O_CLOEXEC = 0x80000;
    internal const int O_PATH = 0x200000;

    internal const int F_GETFD = 1;

    [LibraryImport(LibraryNames.LibC, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial SafeFd open(string path, int flags, uint mode);

    [LibraryImport(LibraryNames.LibC, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial SafeFd openat(SafeFd dirfd, string path, int flags, uint mode);

    /// <summary>fcntl with an int argument (F_GETFD and friends); a raw fd because 0-2 are not owned.</summary>
    [LibraryImport(LibraryNames.LibC, SetLastError = true)]
    internal static partial int fcntl(int fd, int cmd, int arg);

    /// <summary>dup2 for the start-up repair of fds 0-2 (they are never owned by a SafeFd).</summary>
    [LibraryImport(LibraryNames.LibC, SetLastError = true)]
    internal static partial int dup2(int oldfd, int newfd);
}
