using System;
using System.IO;
using BlockDiskseq.Backend;
using BlockDiskseq.Native;
using XenstoreInterop;

namespace BlockDiskseq.Reporting;

/// <summary>
/// A failed add or remove, reported once: the line logged (stderr, syslog, hotplug log), then hotplug-error and
/// hotplug-status in the backend (docs/protocol-facts.md §1, §4).
/// </summary>
internal static class FailureReport
{
    /// <summary>Logs the failure and writes it to the backend when Xenstore was opened.</summary>
    internal static void Write(Xenstore? xs, BackendPath be, Exception e)
    {
        (string message, string status) = Describe(e);
        Log.Error(message);
        WriteNodes(xs, be, message, status);
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

    private static void WriteNodes(Xenstore? xs, BackendPath be, string message, string status)
    {
        if (xs is not null) // else Xenstore could not be opened: that is the failure, and it is logged
            FailureNodes.Write(xs, be, message, status);
    }
}
