using BlockDiskseq.Native;
using BlockDiskseq.Reporting;
using XenstoreInterop;

namespace BlockDiskseq.Backend;

/// <summary>
/// A Xenstore connection that fails under add or remove: xenstored died, restarted, or dropped us. One new
/// connection is tried; if the daemon answers, the caller finds out what is true (docs/design.md,
/// "Xenstore connection lost"), otherwise the failure says that Xenstore went away.
/// </summary>
internal static class ConnectionLoss
{
    /// <summary>A node of our own domain home: any answer, even ENOENT or EACCES, proves the connection works.</summary>
    private const string ProbeNode = "domid";

    /// <summary>
    /// True when <paramref name="e"/> means the connection is gone. EINVAL is what a request in flight gets when
    /// libxenstore's reader thread sees the end, but a daemon may answer it too: one more request tells them apart.
    /// </summary>
    internal static bool IsLost(Xenstore xs, XenstoreException e)
    {
        if (e.ConnectionLost)
            return true;
        if (e.Errno != LibC.EINVAL)
            return false;
        try
        {
            _ = xs.TryRead(ProbeNode);
            return false;
        }
        catch (XenstoreException probe)
        {
            return probe.ConnectionLost;
        }
    }

    /// <summary>
    /// A new connection in place of the lost one: null on success, else why Xenstore cannot be reached, a
    /// message that begins "Xenstore went away" and ends with <paramref name="during"/>.
    /// </summary>
    internal static string? TryReconnect(Xenstore xs, XenstoreException lost, string during)
    {
        Log.Warning($"lost the connection to Xenstore {during} ({lost.Message}); connecting again");
        try
        {
            xs.Reconnect();
            Log.Info("connected to Xenstore again");
            return null;
        }
        catch (XenstoreException e)
        {
            return $"Xenstore went away {during}: {lost.Message}; connecting again: {e.Message}";
        }
    }

    /// <summary>Connects again, or fails the run with "Xenstore went away" and what was going on.</summary>
    internal static void Reconnect(Xenstore xs, XenstoreException lost, string during)
    {
        if (TryReconnect(xs, lost, during) is string gone)
            throw new HotplugFailure(gone, lost);
    }
}
