using System.Runtime.InteropServices;

namespace BlockDiskseq.Native;

internal static partial class LibC
{
    // <syslog.h>
    internal const int LOG_PID = 0x01;
    internal const int LOG_DAEMON = 3 << 3;
    internal const int LOG_ERR = 3;
    internal const int LOG_WARNING = 4;
    internal const int LOG_INFO = 6;

    // ident must stay valid for the process lifetime: callers pass a pinned or static buffer.
    [LibraryImport(LibraryNames.LibC)]
    internal static unsafe partial void openlog(byte* ident, int option, int facility);

    // syslog is variadic; this binds the one fixed shape syslog(prio, "%s", msg), which is safe on the
    // SysV x86-64/arm64 ABIs (no floating-point arguments) and keeps '%' in messages literal.
    [LibraryImport(LibraryNames.LibC, EntryPoint = "syslog")]
    internal static unsafe partial void syslog_s(int priority, byte* format, byte* message);
}
