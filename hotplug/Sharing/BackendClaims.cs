using System.Collections.Generic;
using BlockDiskseq.Backend;
using BlockDiskseq.Devices;
using XenstoreInterop;

namespace BlockDiskseq.Sharing;

/// <summary>
/// Which other vbd backends of this domain use or name which device: the question of the sharing checks
/// (SharingRules), gathered once per add at the first question (an add of a new image with
/// no loop device to check asks none). The cost must not grow with the host in Xenstore requests
/// (docs/design.md, "Who uses a device: sysfs first, Xenstore for the rest"):
/// - every vbd backend that can carry a physical-device is on the xen-backend bus in sysfs: xenbus probes a
///   backend directory as it appears, and only blkback's probe moves it to InitWait, which libxl waits for
///   before it runs any hotplug script, and which our own transaction requires (docs/protocol-facts.md §3, §5);
/// - a vbd whose physical_device attribute exists: blkback holds that device (the kernel's record, whoever
///   wrote physical-device): no Xenstore request;
/// - a vbd without it (blkback has not opened a device yet: another add between its transaction and blkback's
///   open, or a disk nobody exported yet): its physical-device is read from Xenstore, one request each;
/// - no xen-backend bus in sysfs at all: every backend's physical-device is read from Xenstore, as before.
/// </summary>
internal sealed class BackendClaims
{
    private readonly Xenstore xs;
    private readonly BackendPath be;
    private readonly string sysfsRoot;
    private Dictionary<DeviceNumber, List<Claim>>? claims;

    /// <summary>A backend using or naming a device, and how we know (for the log).</summary>
    internal sealed record Claim(BackendPath Backend, string How);

    internal BackendClaims(Xenstore xs, BackendPath be, string sysfsRoot)
    {
        this.xs = xs;
        this.be = be;
        this.sysfsRoot = sysfsRoot;
    }

    /// <summary>The other backends that use or name <paramref name="device"/>; empty if none.</summary>
    internal IReadOnlyList<Claim> Of(DeviceNumber device)
    {
        claims ??= Gather();
        return claims.TryGetValue(device, out List<Claim>? found) ? found : [];
    }

    /// <exception cref="AddedMeanwhile">Another add of this very backend committed while we waited for the locks.</exception>
    private Dictionary<DeviceNumber, List<Claim>> Gather()
    {
        // Asked under the locks, so a commit of another add of our own backend is visible: that add holds its loop
        // device O_EXCL until blkback opens it, and its device would pass for another user's (CI, reliability race
        // "two adds of one backend"). One request, made only when there is something to check.
        if (xs.TryRead(be.Node(BackendNodes.PhysicalDevice)) is string written)
            throw AddedMeanwhile.PhysicalDevice(be, written);
        var found = new Dictionary<DeviceNumber, List<Claim>>();
        if (XenBackendDevices.TryScan(sysfsRoot) is not List<XenBackendDevices.Vbd> vbds)
        {
            foreach ((BackendPath other, DeviceNumber used) in EveryOtherPhysicalDevice())
                Add(found, used, Named(other));
            return found;
        }
        foreach (XenBackendDevices.Vbd vbd in vbds)
        {
            if (vbd.Held is DeviceNumber held)
            {
                if (vbd.FrontendId != be.FrontendId || vbd.DeviceId != be.DeviceId)
                    Add(found, held, new Claim(be.Sibling(vbd.FrontendId, vbd.DeviceId), $"held by blkback ({vbd.Name})"));
                continue;
            }
            BackendPath other = Directory(vbd);
            if (other.FrontendId == be.FrontendId && other.DeviceId == be.DeviceId)
                continue;
            if (DeviceNumber.TryParse(xs.TryRead(other.Node(BackendNodes.PhysicalDevice)), out DeviceNumber named))
                Add(found, named, Named(other));
        }
        return found;
    }

    /// <summary>The vbd's backend directory: by its nodename attribute when the kernel shows one, else by the bus id.</summary>
    private BackendPath Directory(XenBackendDevices.Vbd vbd)
    {
        const string Prefix = BackendNodes.BackendDirectory + "/" + BackendNodes.VbdType + "/";
        string? nodeName = XenBackendDevices.NodeName(sysfsRoot, vbd);
        if (nodeName is not null && nodeName.StartsWith(Prefix, System.StringComparison.Ordinal)
            && nodeName[Prefix.Length..].Split('/') is [string domain, string device]
            && BackendPath.TryParseDomainId(domain, out uint frontendId) && BackendPath.TryParseDecimal(device, out uint deviceId))
            return be.Sibling(frontendId, deviceId);
        return be.Sibling(vbd.FrontendId, vbd.DeviceId);
    }

    private static Claim Named(BackendPath other) => new(other, $"named by {other.Path}/{BackendNodes.PhysicalDevice}");

    private static void Add(Dictionary<DeviceNumber, List<Claim>> found, DeviceNumber device, Claim claim)
    {
        if (!found.TryGetValue(device, out List<Claim>? list))
            found[device] = list = [];
        list.Add(claim);
    }

    /// <summary>Without the sysfs bus: every other vbd backend of this domain with a physical-device (1 + D + N requests).</summary>
    private IEnumerable<(BackendPath Backend, DeviceNumber Device)> EveryOtherPhysicalDevice()
    {
        foreach (string domain in xs.TryList(be.VbdDirectory) ?? [])
        {
            if (!BackendPath.TryParseDomainId(domain, out uint frontendId))
                continue;
            foreach (string deviceId in xs.TryList(BackendNodes.Path(be.VbdDirectory, domain)) ?? [])
            {
                if (!BackendPath.TryParseDecimal(deviceId, out uint id) || (frontendId == be.FrontendId && id == be.DeviceId))
                    continue;
                BackendPath other = be.Sibling(frontendId, id);
                if (DeviceNumber.TryParse(xs.TryRead(other.Node(BackendNodes.PhysicalDevice)), out DeviceNumber used))
                    yield return (other, used);
            }
        }
    }
}
