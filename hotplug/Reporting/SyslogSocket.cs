using System;
using System.Runtime.InteropServices;
using System.Text;
using BlockDiskseq.Native;

namespace BlockDiskseq.Reporting;

/// <summary>
/// Our own syslog client, because glibc's never gives up: its syslog(3) sends on a blocking socket
/// (misc/syslog.c, glibc 2.36), so a syslog daemon that stops reading /dev/log (hung, stopped, its queue
/// full) held add and remove until libxl killed them, and a failing add never wrote hotplug-error. Here the
/// socket is non-blocking and each line is one send with MSG_DONTWAIT: a line that cannot go at once is
/// dropped and counted (Log reports the count once, at exit). The line is glibc's:
/// "&lt;PRI&gt;Mmm dd hh:mm:ss block-diskseq[PID]: message" (RFC 3164, facility daemon).
/// </summary>
internal static unsafe class SyslogSocket
{
    internal const string DefaultPath = "/dev/log";
    private const string Ident = "block-diskseq";

    /// <summary>The daemon's socket (Settings.SyslogPath: $BLOCK_DISKSEQ_SYSLOG, default /dev/log).</summary>
    internal static string Path { get; set; } = DefaultPath;

    /// <summary>Lines a connected socket did not take (full queue, daemon gone); each was dropped.</summary>
    internal static int Dropped { get; private set; }

    /// <summary>Why the last dropped line was dropped ("send /dev/log: Resource temporarily unavailable (EAGAIN)").</summary>
    internal static string? LastDropReason { get; private set; }

    private static SafeFd? socket;
    private static bool unavailable;

    /// <summary>Sends one line at <paramref name="priority"/> (a LOG_* level), or drops it; never waits, never throws.</summary>
    internal static void Send(int priority, string line)
    {
        if (Connected() is not SafeFd fd)
            return;
        string stamp = LocalTime.Format("%h %e %T\0"u8);
        byte[] datagram = Encoding.UTF8.GetBytes($"<{LibC.LOG_DAEMON | priority}>{stamp} {Ident}[{Environment.ProcessId}]: {line}");
        nint sent;
        fixed (byte* p = datagram)
            sent = LibC.send(fd, p, (nuint)datagram.Length, LibC.MSG_DONTWAIT | LibC.MSG_NOSIGNAL);
        if (sent >= 0)
            return;
        int errno = Marshal.GetLastPInvokeError();
        Dropped++;
        LastDropReason = $"send {Path}: {LibC.StrError(errno)} ({LibC.ErrnoName(errno)})";
        if (errno != LibC.EAGAIN)
        {
            // The daemon restarted (ECONNREFUSED: its old socket is gone) or refused this line: connect anew
            // for the next one, as glibc does.
            fd.Dispose();
            socket = null;
        }
    }

    /// <summary>
    /// The connected socket, made at the first line. None to connect to (no daemon, as on this project's test
    /// machine) means lines go nowhere, which glibc keeps quiet about too: it is not counted as dropping them.
    /// </summary>
    private static SafeFd? Connected()
    {
        if (socket is not null || unavailable)
            return socket;
        byte[] path = Encoding.UTF8.GetBytes(Path);
        if (path.Length >= LibC.sockaddr_un.PathSize)
        {
            unavailable = true;
            return null;
        }
        SafeFd fd = LibC.socket(LibC.AF_UNIX, LibC.SOCK_DGRAM | LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC, 0);
        if (fd.IsInvalid)
        {
            unavailable = true;
            return null;
        }
        var address = new LibC.sockaddr_un { sun_family = LibC.AF_UNIX };
        path.CopyTo(new Span<byte>(address.sun_path, LibC.sockaddr_un.PathSize));
        // A datagram connect only records the peer: it does not wait for the daemon.
        if (LibC.connect(fd, &address, (uint)sizeof(LibC.sockaddr_un)) != 0)
        {
            fd.Dispose();
            unavailable = true;
            return null;
        }
        return socket = fd;
    }
}
