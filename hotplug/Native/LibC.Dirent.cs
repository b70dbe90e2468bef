using System.Runtime.InteropServices;

namespace BlockDiskseq.Native;

internal static partial class LibC
{
    /* <dirent.h>, the kernel's record (glibc 2.30 exports the syscall as is):
     * struct linux_dirent64 { ino64_t d_ino; off64_t d_off; unsigned short d_reclen; unsigned char d_type; char d_name[]; };
     */
    internal const int DirentRecordLengthOffset = 16;
    internal const int DirentNameOffset = 19;

    /// <summary>getdents64(2): fills <paramref name="buffer"/> with whole records; 0 at the end of the directory.</summary>
    [LibraryImport(LibraryNames.LibC, SetLastError = true)]
    internal static unsafe partial nint getdents64(SafeFd fd, byte* buffer, nuint count);
}
