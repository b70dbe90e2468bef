using System;
using System.IO;
using BlockDiskseq.Backend;
using BlockDiskseq.Native;
using XenstoreInterop;

namespace BlockDiskseq.Reporting;

/// <summary>
/// A failed add or remove, reported once: hotplug-error and hotplug-status in the backend first (what libxl
/// waits for, docs/protocol-facts.md §1, §4), then the line logged (stderr, syslog, hotplug log). Logging
/// never waits (SyslogSocket, StandardFds), and even so nothing is logged before the nodes are written.
/// </summary>
internal static class FailureReport
{
    /// <summary>Writes the failure to the backend when Xenstore was opened, then logs it.</summary>
    internal static void Write(Xenstore? xs, BackendPath be, Exception e)
    {
        (string message, string status) = Describe(e);
        if (xs is not null) // else Xenstore could not be opened: that is the failure, and it is logged
            FailureNodes.Write(xs, be, message, status);
        Log.Error(message);
    }

    /// <summary>
    /// The one line and the status, in our words (ErrorText: never a runtime resource key). Our own failures
    /// carry their message; a runtime I/O exception is told by its errno; anything else is a bug.
    /// </summary>
    internal static (string Message, string Status) Describe(Exception e)
    {
        string message = e switch
        {
            XenstoreException { ConnectionLost: true } => $"lost the connection to Xenstore: {e.Message}",
            HotplugFailure or NativeException or XenstoreException => e.Message,
            IOException or UnauthorizedAccessException => $"I/O error: {ErrorText.Of(e)}",
            _ => $"internal error: {ErrorText.Of(e)}",
        };
        return (Printable.Line(message), e is HotplugFailure failure ? failure.Status : HotplugFailure.StatusError);
    }
}
