using System;

namespace BlockDiskseq.Reporting;

/// <summary>
/// A failure reported to the toolstack: Message becomes the one-line hotplug-error, Status the
/// hotplug-status ("error", or "busy" for sharing conflicts, as Xen's block-common.sh ebusy does).
/// Native failures (NativeException) and Xenstore failures are reported the same way with status "error".
/// </summary>
internal sealed class HotplugFailure : Exception
{
    internal const string StatusError = "error";
    internal const string StatusBusy = "busy";

    public string Status { get; }

    public HotplugFailure(string message, string status = StatusError) : base(message) => Status = status;

    public HotplugFailure(string message, Exception inner) : base(message, inner) => Status = StatusError;
}
