using System;
using System.Diagnostics;
using System.Text;
using BlockDiskseq.Native;

namespace BlockDiskseq.Reporting;

/// <summary>
/// One line per event to stderr (libxl puts it in its log) and to syslog (daemon facility); control
/// characters in a message (from Xenstore values, paths) are escaped so no value can forge a line.
/// Writes with write(2) rather than Console: a full or closed stderr must never throw (exit 134).
/// </summary>
internal static unsafe class Log
{
    private static readonly byte* Ident = (byte*)System.Runtime.InteropServices.NativeMemory.AllocZeroed(32);
    private static readonly long StartTicks = Stopwatch.GetTimestamp();
    private static bool syslogOpen;

    /// <summary>Set by --verbose: each step is logged with the milliseconds since start.</summary>
    internal static bool Verbose { get; set; }

    /// <summary>A prefix such as "block-diskseq add backend/vbd/1/51712".</summary>
    internal static string Context { get; set; } = "block-diskseq";

    internal static void Error(string message) => Emit(LibC.LOG_ERR, message);
    internal static void Warning(string message) => Emit(LibC.LOG_WARNING, message);
    internal static void Info(string message) => Emit(LibC.LOG_INFO, message);

    internal static void Step(string message)
    {
        if (!Verbose)
            return;
        double ms = Stopwatch.GetElapsedTime(StartTicks).TotalMilliseconds;
        WriteStderr($"{Context}: [{ms,7:F2} ms] {Sanitise.Line(message)}\n");
    }

    /// <summary>Plain output for --help/--version/status (stdout).</summary>
    internal static void Out(string text) => WriteFd(1, text);

    private static void Emit(int priority, string message)
    {
        string line = $"{Context}: {Sanitise.Line(message)}";
        WriteStderr(line + "\n");
        Syslog(priority, line);
    }

    private static void WriteStderr(string text) => WriteFd(2, text);

    private static void WriteFd(int fd, string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        fixed (byte* p = bytes)
        {
            nuint done = 0;
            while (done < (nuint)bytes.Length)
            {
                nint n = LibC.write(fd, p + done, (nuint)bytes.Length - done);
                if (n <= 0)
                    return; // closed or full: logging must never fail the program
                done += (nuint)n;
            }
        }
    }

    private static void Syslog(int priority, string line)
    {
        if (!syslogOpen)
        {
            Encoding.ASCII.GetBytes("block-diskseq", new Span<byte>(Ident, 31));
            LibC.openlog(Ident, LibC.LOG_PID, LibC.LOG_DAEMON);
            syslogOpen = true;
        }
        byte[] msg = Encoding.UTF8.GetBytes(line + "\0");
        ReadOnlySpan<byte> format = "%s\0"u8;
        fixed (byte* m = msg)
        fixed (byte* f = format)
            LibC.syslog_s(LibC.LOG_DAEMON | priority, f, m);
    }
}
