using System;
using System.Text;
using BlockDiskseq.Native;

namespace BlockDiskseq.Reporting;

/// <summary>
/// Now in local time, formatted by glibc's strftime (TZ and the zone's name as any libc program sees them,
/// not TimeZoneInfo): the hotplug log's stamp and the syslog line's. The process never calls setlocale, so
/// month names are the C locale's, as RFC 3164 wants.
/// </summary>
internal static unsafe class LocalTime
{
    /// <param name="format">An strftime format, NUL-terminated.</param>
    internal static string Format(ReadOnlySpan<byte> format)
    {
        LibC.tzset();
        long now = LibC.time(null);
        LibC.Tm tm;
        byte* text = stackalloc byte[64];
        fixed (byte* f = format)
        {
            if (LibC.localtime_r(&now, &tm) == null)
                return $"[time {now}]";
            nuint length = LibC.strftime(text, 64, f, &tm);
            return Encoding.ASCII.GetString(text, (int)length);
        }
    }
}
