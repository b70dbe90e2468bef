using System.Runtime.InteropServices;

namespace BlockDiskseq.Native;

// Unnamed sparse files (the throwaway snapshot's COW): open(dir, O_TMPFILE) and ftruncate.
internal static partial class LibC
{
    // <asm-generic/fcntl.h>: __O_TMPFILE 020000000 | O_DIRECTORY (Linux 3.11; ext4, xfs, btrfs, tmpfs).
    internal const int O_TMPFILE = 0x400000 | O_DIRECTORY;

    internal const int EOPNOTSUPP = 95;   // the filesystem has no O_TMPFILE

    // <unistd.h>: off_t is 64-bit on x86-64 and arm64 (glibc's ftruncate is ftruncate64 there).
    [LibraryImport(LibraryNames.LibC, SetLastError = true)]
    internal static partial int ftruncate(SafeFd fd, long length);
}
