using System;
using System.IO;
using BlockDiskseq.Backend;
using XenstoreInterop;

namespace BlockDiskseq.Reporting;

/// <summary>
/// A failed add or remove, reported once: the line logged (stderr and syslog), then hotplug-error and
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

    /// <summary>The one line and the status. Our own failures carry their message; anything else is a bug.</summary>
    internal static (string Message, string Status) Describe(Exception e)
    {
        string message = e is HotplugFailure or IOException ? e.Message : $"internal error: {e.GetType().Name}: {e.Message}";
        return (Sanitise.Line(message), e is HotplugFailure failure ? failure.Status : HotplugFailure.StatusError);
    }

    /// <summary>
    /// hotplug-error first, then hotplug-status (Xen's fatal writes them in this order). If the connection is
    /// what failed (xenstored restarted, or dropped us), one fresh connection is tried before giving up.
    /// </summary>
    private static void WriteNodes(Xenstore? xs, BackendPath be, string message, string status)
    {
        if (xs is null)
            return; // Xenstore could not be opened: that is the failure, and it is logged
        try
        {
            try
            {
                WriteNodesOnce(xs, be, message, status);
                return;
            }
            catch (XenstoreException e)
            {
                Log.Step($"writing hotplug-error: {e.Message}; trying a new connection");
            }
            using Xenstore fresh = Xenstore.Open();
            WriteNodesOnce(fresh, be, message, status);
        }
        catch (XenstoreException e)
        {
            // Nothing more to do: the failure is in the log, and the exit status is what libxl judges.
            Log.Warning($"could not write hotplug-error to {be.Path}: {Sanitise.Line(e.Message)}, ignoring");
        }
    }

    private static void WriteNodesOnce(Xenstore xs, BackendPath be, string message, string status)
    {
        xs.Write(be.Node(BackendNodes.HotplugError), message);
        xs.Write(be.Node(BackendNodes.HotplugStatus), status);
    }
}
