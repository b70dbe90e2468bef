using BlockDiskseq.Backend;
using XenstoreInterop;

namespace BlockDiskseq.Sharing;

/// <summary>
/// Xen's same_vm (block-common.sh), read lazily: another domain belongs to the same VM as our frontend
/// when their vm paths match directly or through a stub domain's target. A domain whose vm node is
/// missing (being destroyed) counts as the same VM, as there: refusing it would fail a restart.
/// </summary>
internal sealed class SameVm
{
    private const string UnknownVm = "unknown";
    private readonly Xenstore xs;
    private readonly string frontendVm;
    private readonly string frontendVmTrimmed;
    private readonly string frontendTargetVm;

    internal SameVm(Xenstore xs, uint frontendId)
    {
        this.xs = xs;
        frontendVm = ReadDomain(frontendId, BackendNodes.Vm) ?? UnknownVm;
        // Xen strips a trailing "-1" (${FRONTEND_UUID%-1}); kept so both scripts judge alike.
        frontendVmTrimmed = frontendVm.EndsWith("-1", System.StringComparison.Ordinal) ? frontendVm[..^2] : frontendVm;
        frontendTargetVm = TargetVm(frontendId) ?? "No Target";
    }

    internal bool Includes(uint otherId)
    {
        string otherVm = ReadDomain(otherId, BackendNodes.Vm) ?? frontendVm;
        string otherTargetVm = TargetVm(otherId) ?? "No Other Target";
        return frontendVmTrimmed == otherVm || frontendTargetVm == otherVm
            || frontendVmTrimmed == otherTargetVm || frontendTargetVm == otherTargetVm;
    }

    /// <summary>The vm of the domain a stub domain serves (its target node), or null.</summary>
    private string? TargetVm(uint domainId)
        => ReadDomain(domainId, BackendNodes.Target) is string target && BackendPath.TryParseDomainId(target, out uint targetId)
            ? ReadDomain(targetId, BackendNodes.Vm)
            : null;

    private string? ReadDomain(uint domainId, string key) => xs.TryRead(BackendNodes.Path(BackendNodes.DomainHome(domainId), key));
}
