using System.Runtime.InteropServices;

namespace BlockDiskseq.Native;

internal static partial class LibC
{
    [LibraryImport(LibraryNames.LibC, SetLastError = true)]
    internal static unsafe partial nint write(int fd, byte* buf, nuint count);
}
