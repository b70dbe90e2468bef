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
            if (xs is not null) // else Xenstore could not be opened: that is the failure, and it is logged
                FailureNodes.Write(xs, invocation.Backend!, message, status);
            return ExitCodes.Failure;
        }
        // The connection is not closed: the process ends right after this, which closes the socket and ends
        // libxenstore's reader thread. xs_close would pthread_cancel that thread, and glibc loads libgcc_s for
        // the cancellation unwind: about 0.5 ms of an add spent on nothing.
    }

    /// <summary>The one line and the status. Our own failures carry their message; anything else is a bug.</summary>
    internal static (string Message, string Status) Describe(Exception e)
    {
        string message = e switch
        {
            XenstoreException { ConnectionLost: true } => $"lost the connection to Xenstore: {e.Message}",
            HotplugFailure or IOException => e.Message,
            _ => $"internal error: {e.GetType().Name}: {e.Message}",
        };
        return (Sanitise.Line(message), e is HotplugFailure failure ? failure.Status : HotplugFailure.StatusError);
    }
}
