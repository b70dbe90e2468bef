using System;
using System.Diagnostics;
using System.Text;
using BlockDiskseq.Cli;
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
    private static readonly long StartTicks = Stopwatch.GetTimestamp();
    private static bool hotplugLogFailed;
    private static int stderrDropped;

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
    internal static void Out(string text) => _ = WriteFd(1, text);

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

    private static void WriteStderr(string text)
    {
        if (!WriteFd(2, text))
            stderrDropped++;
    }

    /// <summary>
    /// False when the text was not all written: closed, full, or (stderr being non-blocking, StandardFds)
    /// nobody reading it. Logging must never fail or hold the program.
    /// </summary>
    private static bool WriteFd(int fd, string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        fixed (byte* p = bytes)
        {
            nuint done = 0;
            while (done < (nuint)bytes.Length)
            {
                nint n = StandardFds.Write(fd, p + done, (nuint)bytes.Length - done);
                if (n <= 0)
                    return false;
                done += (nuint)n;
            }
        }
        return true;
    }

    private static void Syslog(int priority, string line) => SyslogSocket.Send(priority, line);

    /// <summary>
    /// At exit: the lines that syslog or stderr did not take (each was dropped rather than waited for), said
    /// once in the hotplug log and, with --verbose, on stderr; never in syslog, which is what lost them.
    /// </summary>
    internal static void ReportDropped()
    {
        if (SyslogSocket.Dropped > 0)
            Note($"{Context}: syslog: {SyslogSocket.Dropped} line(s) dropped, not waited for ({SyslogSocket.LastDropReason})");
        if (stderrDropped > 0)
            Note($"{Context}: stderr: {stderrDropped} line(s) dropped or cut: nobody was reading it");
    }

    private static void Note(string note)
    {
        if (Verbose)
            WriteStderr(note + "\n");
        if (HotplugLogDirectory is string directory && !hotplugLogFailed)
            _ = HotplugLog.Append(directory, Printable.Line(note)); // a failure here has nowhere left to go
    }
}
