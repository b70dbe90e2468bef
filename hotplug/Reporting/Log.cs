using System;
using System.Diagnostics;
using System.Text;
using BlockDiskseq.Native;

namespace BlockDiskseq.Reporting;

/// <summary>
/// One line per event, the way Xen's own scripts behave: a successful run says nothing on the terminal
/// (libxl hands the script its own stderr, so `xl create` would print it). Every event goes to syslog
/// (daemon facility) and, for add and remove, to Xen's hotplug log (HotplugLog); errors also go to stderr,
/// which libxl copies into its log; with --verbose everything does, and each step with the milliseconds
/// since start. Control characters in a message (from Xenstore values, paths) are escaped so no value can
/// forge a line. Writes with write(2) rather than Console: a full or closed stderr must never throw (exit 134).
/// </summary>
internal static unsafe class Log
{
    private static readonly byte* Ident = (byte*)System.Runtime.InteropServices.NativeMemory.AllocZeroed(32);
    private static readonly long StartTicks = Stopwatch.GetTimestamp();
    private static bool syslogOpen;
    private static bool hotplugLogFailed;

    /// <summary>Set by --verbose: every event and each step go to stderr too.</summary>
    internal static bool Verbose { get; set; }

    /// <summary>A prefix such as "block-diskseq add backend/vbd/1/51712".</summary>
    internal static string Context { get; set; } = "block-diskseq";

    /// <summary>Where Xen's hotplug log is (Settings.HotplugLogDirectory) for add and remove; null: no hotplug log.</summary>
    internal static string? HotplugLogDirectory { get; set; }

    internal static void Error(string message) => Emit(LibC.LOG_ERR, message, toStderr: true);
    internal static void Warning(string message) => Emit(LibC.LOG_WARNING, message, toStderr: Verbose);
    internal static void Info(string message) => Emit(LibC.LOG_INFO, message, toStderr: Verbose);

    internal static void Step(string message)
    {
        if (!Verbose)
            return;
        double ms = Stopwatch.GetElapsedTime(StartTicks).TotalMilliseconds;
        WriteStderr($"{Context}: [{ms,7:F2} ms] {Printable.Line(message)}\n");
    }

    /// <summary>Plain output for --help/--version/status (stdout).</summary>
    internal static void Out(string text) => WriteFd(1, text);

    private static void Emit(int priority, string message, bool toStderr)
    {
        string line = $"{Context}: {Printable.Line(message)}";
        if (toStderr)
            WriteStderr(line + "\n");
        Syslog(priority, line);
        AppendToHotplugLog(line);
    }

    /// <summary>A hotplug log that cannot be written is said once in syslog (and stderr with --verbose), then left alone.</summary>
    private static void AppendToHotplugLog(string line)
    {
        if (HotplugLogDirectory is not string directory || hotplugLogFailed)
            return;
        if (HotplugLog.Append(directory, line) is not string failure)
            return;
        hotplugLogFailed = true;
        string note = $"{Context}: hotplug log: {Printable.Line(failure)}";
        if (Verbose)
            WriteStderr(note + "\n");
        Syslog(LibC.LOG_WARNING, note);
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
