using System.Runtime.InteropServices;

namespace BlockDiskseq.Native;

internal static partial class LibC
{
    // <sys/file.h>
    internal const int LOCK_EX = 2;
    internal const int LOCK_NB = 4;
    internal const int LOCK_UN = 8;

    /// <summary>flock(2): a lock on the open file description; closing the last fd to it releases it.
    /// With LOCK_NB a held lock fails with EWOULDBLOCK (= EAGAIN on Linux).</summary>
    [LibraryImport(LibraryNames.LibC, SetLastError = true)]
    internal static partial int flock(SafeFd fd, int operation);
}
