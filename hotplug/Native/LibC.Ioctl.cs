using System.Runtime.InteropServices;

namespace BlockDiskseq.Native;

internal static partial class LibC
{
    // int ioctl(int fd, unsigned long request, ...) is variadic; these bind the two argument shapes the
    // kernel interfaces here use (an integer, or a pointer to a struct), which pass in the same register
    // as a fixed argument on the SysV x86-64 and AAPCS64 Linux ABIs. Request numbers are full
    // `unsigned long`s, so _IOR values with the direction bit set need no unchecked cast.
    [LibraryImport(LibraryNames.LibC, SetLastError = true)]
    internal static partial int ioctl(SafeFd fd, nuint request, nint arg);

    [LibraryImport(LibraryNames.LibC, SetLastError = true)]
    internal static unsafe partial int ioctl(SafeFd fd, nuint request, void* arg);
}
