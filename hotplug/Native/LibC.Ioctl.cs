using System.Runtime.InteropServices;

namespace BlockDiskseq.Native;

internal static partial class LibC
{
    // int ioctl(int fd, unsigned long request, ...) is variadic; these bind the two argument shapes the
    // kernel interfaces here use (an integer, or a pointer to a struct), which pass in the same register
    // as a fixed argument on the SysV x86-64 and AAPCS64 Linux ABIs. The request is glibc's unsigned long;
    // the uint request constants widen to it without sign extension (the kernel truncates to 32 bits anyway).
    [LibraryImport(LibraryNames.LibC, SetLastError = true)]
    internal static partial int ioctl(SafeFd fd, nuint request, nint arg);

    [LibraryImport(LibraryNames.LibC, SetLastError = true)]
    internal static unsafe partial int ioctl(SafeFd fd, nuint request, void* arg);
}
