using System.Runtime.InteropServices;

namespace BlockDiskseq.Native;

// Unnamed files (the throwaway snapshot's COW): open(dir, O_TMPFILE), its blocks reserved with fallocate.
internal static partial class LibC
{
    // <asm-generic/fcntl.h>: __O_TMPFILE 020000000 | O_DIRECTORY (Linux 3.11; ext4, xfs, btrfs, tmpfs).
    internal const int O_TMPFILE = 0x400000 | O_DIRECTORY;

    internal const int EOPNOTSUPP = 95;   // the filesystem has no O_TMPFILE, or no fallocate

    /// <summary>
    /// fallocate(2) with mode 0: allocates the blocks of [offset, offset + len) and extends the file to cover
    /// them, or fails (ENOSPC: no room). What a failed call allocated goes with the unnamed file at its close.
    /// off_t is 64-bit on x86-64 and arm64 (glibc's fallocate is fallocate64 there).
    /// </summary>
    [LibraryImport(LibraryNames.LibC, SetLastError = true)]
    internal static partial int fallocate(SafeFd fd, int mode, long offset, long len);
}
