using System.Collections.Generic;
using XenstoreInterop;

namespace BlockDiskseq.Backend;

/// <summary>
/// The names of the backend directory's children, listed once at the start of add (one XS_DIRECTORY). It
/// answers "is this node there?" for nodes whose absence is the usual case, so that case costs no request:
/// physical-device (already added?), opened (absent on mainline kernels), hotplug-error (stale from an
/// earlier failed add). A node that appears after the listing is caught where it matters: physical-device
/// and state are read again inside the transaction.
/// </summary>
internal sealed class BackendListing
{
    private readonly HashSet<string> names;

    private BackendListing(IEnumerable<string> names) => this.names = new HashSet<string>(names, System.StringComparer.Ordinal);

    /// <summary>An empty listing when the backend directory does not exist (the toolstack removed it).</summary>
    internal static BackendListing Read(Xenstore xs, BackendPath be) => new(xs.TryList(be.Path) ?? []);

    internal bool Has(string key) => names.Contains(key);
}
