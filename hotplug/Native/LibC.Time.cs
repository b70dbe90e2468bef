using System.Runtime.InteropServices;

namespace BlockDiskseq.Native;

internal static partial class LibC
{
    // <time.h>: the hotplug log's local timestamps, as libxl's own logs print them. glibc reads the zone
    // from TZ or /etc/localtime; .NET's TimeZoneInfo would parse tzdata in managed code for one line.

    /// <summary>struct tm (glibc, LP64): nine ints, then tm_gmtoff and tm_zone.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct Tm
    {
        public int tm_sec, tm_min, tm_hour, tm_mday, tm_mon, tm_year, tm_wday, tm_yday, tm_isdst;
        public nint tm_gmtoff;
        public byte* tm_zone;
    }

    [LibraryImport(LibraryNames.LibC)]
    internal static partial void tzset();

    [LibraryImport(LibraryNames.LibC)]
    internal static unsafe partial long time(long* tloc);

    [LibraryImport(LibraryNames.LibC)]
    internal static unsafe partial Tm* localtime_r(long* timep, Tm* result);

    [LibraryImport(LibraryNames.LibC)]
    internal static unsafe partial nuint strftime(byte* s, nuint max, byte* format, Tm* tm);
}
