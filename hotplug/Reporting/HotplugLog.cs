using System;
using System.Runtime.InteropServices;
using System.Text;
using BlockDiskseq.Native;

namespace BlockDiskseq.Reporting;

/// <summary>
/// Xen's hotplug log: Xen's own scripts send their stderr to /var/log/xen/xen-hotplug.log
/// (tools/hotplug/Linux/xen-hotplug-common.sh.in in Xen 4.17), and admins look there first. Each line is
/// stamped the way libxl's date-stamped logs are (tools/libs/toollog/xtl_logger_stdio.c):
/// "2026-12-03 09:12:33 UTC [PID] context: message", local time and zone name.
/// One write(2) per line on an O_APPEND descriptor, so lines of scripts running in parallel do not mix.
/// Never fails the program: no directory means no log (not a Xen host); any other failure skips the line
/// and returns the reason, which the caller puts in syslog.
/// </summary>
internal static unsafe class HotplugLog
{
    internal const string DefaultDirectory = "/var/log/xen";
    internal const string FileName = "xen-hotplug.log";

    /// <summary>
    /// Appends LINE (no newline) to DIRECTORY/xen-hotplug.log. Null when written, or when DIRECTORY does
    /// not exist; otherwise why the line was skipped.
    /// </summary>
    internal static string? Append(string directory, string line)
    {
        string path = $"{directory}/{FileName}";
        // O_NONBLOCK: a FIFO planted at the name must not hang the script until libxl kills it.
        using SafeFd fd = LibC.open(path,
            LibC.O_WRONLY | LibC.O_APPEND | LibC.O_CREAT | LibC.O_CLOEXEC | LibC.O_NOCTTY | LibC.O_NOFOLLOW | LibC.O_NONBLOCK,
            0x1a4 /* 0644 */);
        if (fd.IsInvalid)
        {
            int errno = Marshal.GetLastPInvokeError();
            return errno == LibC.ENOENT ? null : Skipped(path, "open", errno);
        }
        byte[] bytes = Encoding.UTF8.GetBytes($"{Timestamp()} [{Environment.ProcessId}] {line}\n");
        fixed (byte* p = bytes)
        {
            nint written = LibC.write(fd.Fd, p, (nuint)bytes.Length);
            if (written < 0)
                return Skipped(path, "write", Marshal.GetLastPInvokeError());
            if (written != bytes.Length)
                return $"{path}: short write ({written} of {bytes.Length} bytes), line cut";
        }
        return null;
    }

    private static string Skipped(string path, string call, int errno)
        => $"{call} {path}: {LibC.StrError(errno)} ({LibC.ErrnoName(errno)}), line skipped";

    /// <summary>"YYYY-MM-DD HH:MM:SS ZONE" in local time; the zone is what glibc names it (UTC without one).</summary>
    private static string Timestamp() => LocalTime.Format("%Y-%m-%d %H:%M:%S %Z\0"u8);
}
