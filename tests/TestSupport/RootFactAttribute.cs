using System.Runtime.InteropServices;
using Xunit;

namespace BlockDiskseq.TestSupport;

/// <summary>
/// A test that needs root (loop devices, device-mapper, files root may write regardless of mode bits).
/// Elsewhere it skips with the reason; run-tests fails a CI run in which anything skipped.
/// </summary>
public sealed partial class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (geteuid() != 0)
            Skip = "needs root (real loop devices); CI runs as root";
    }

    [LibraryImport("libc.so.6")]
    private static partial uint geteuid();
}
