using System;
using System.IO;
using BlockDiskseq.Flow;
using XenstoreInterop;

namespace BlockDiskseq;

/// <summary>
/// Runs add or remove and reports any failure the way libxl and Xen's scripts expect: one line in
/// hotplug-error, hotplug-status = error (busy for sharing conflicts), the same line logged once to stderr
/// and syslog, exit 1 (docs/protocol-facts.md §1, §4). No exception gets past this.
/// </summary>
internal static class HotplugRun
{
    internal static int Run(Invocation invocation)
    {
        var deadline = new Deadline(invocation.Settings.Timeout);
        Xenstore? xs = null;
        try
        {
            xs = Xenstore.Open();
            Log.Step("connected to Xenstore");
            if (invocation.Verb == Verb.Add)
                Add.Run(xs, invocation, deadline);
            else
                Remove.Run(xs, invocation);
            Log.Step("done");
            return ExitCodes.Success;
        }
        catch (Exception e)
        {
            (string message, string status) = Describe(e);
            Log.Error(message);
            WriteFailure(xs, invocation.Backend!, message, status);
            return ExitCodes.Failure;
        }
        // The connection is not closed: the process ends right after this, which closes the socket and ends
        // libxenstore's reader thread. xs_close would pthread_cancel that thread, and glibc loads libgcc_s for
        // the cancellation unwind: about 0.5 ms of an add spent on nothing.
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
    private static void WriteFailure(Xenstore? xs, BackendPath be, string message, string status)
    {
        if (xs is null)
            return; // Xenstore could not be opened: that is the failure, and it is logged
        try
        {
            try
            {
                WriteFailureNodes(xs, be, message, status);
                return;
            }
            catch (XenstoreException e)
            {
                Log.Step($"writing hotplug-error: {e.Message}; trying a new connection");
            }
            using Xenstore fresh = Xenstore.Open();
            WriteFailureNodes(fresh, be, message, status);
        }
        catch (XenstoreException e)
        {
            // Nothing more to do: the failure is in the log, and the exit status is what libxl judges.
            Log.Warning($"could not write hotplug-error to {be.Path}: {Sanitise.Line(e.Message)}, ignoring");
        }
    }

    private static void WriteFailureNodes(Xenstore xs, BackendPath be, string message, string status)
    {
        xs.Write(be.Node(BackendNodes.HotplugError), message);
        xs.Write(be.Node(BackendNodes.HotplugStatus), status);
    }
}
