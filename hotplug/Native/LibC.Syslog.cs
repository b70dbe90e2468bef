namespace BlockDiskseq.Native;

internal static partial class LibC
{
    // <syslog.h>: the priority of a line is facility | level (Reporting/SyslogSocket writes the line itself).
    internal const int LOG_DAEMON = 3 << 3;
    internal const int LOG_ERR = 3;
    internal const int LOG_WARNING = 4;
    internal const int LOG_INFO = 6;
}
