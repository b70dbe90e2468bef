using System;
using System.Text;
using BlockDiskseq.DeviceMapper;
using BlockDiskseq.Devices;

namespace BlockDiskseq.Backend;

/// <summary>
/// The Xenstore key names this program reads and writes, and the one function that builds paths from
/// them (style.md 15: no ad hoc concatenation elsewhere).
/// </summary>
internal static class BackendNodes
{
    // Written by libxl (docs/protocol-facts.md §2).
    internal const string Params = "params";
    internal const string Mode = "mode";
    internal const string Type = "type";
    internal const string FrontendId = "frontend-id";
    internal const string State = "state";

    // Written by this program (docs/protocol-facts.md §4, §6; docs/design.md).
    internal const string PhysicalDevice = "physical-device";
    internal const string PhysicalDevicePath = "physical-device-path";
    internal const string Diskseq = "diskseq";
    /// <summary>/dev/loopN, as Xen's block script writes it: its remove reads this node.</summary>
    internal const string LoopNode = "node";
    internal const string HotplugStatus = "hotplug-status";
    internal const string HotplugError = "hotplug-error";
    /// <summary>Our own directory under the backend; holds the record of what we created.</summary>
    internal const string OwnDirectory = "block-diskseq";
    internal const string Layers = "layers";
    /// <summary>How add waited for blkback: BlkbackWait.Method (for status and the lab; remove ignores it).</summary>
    internal const string WaitMethod = "wait";
    /// <summary>The dm ioctl ABI add used for a device-mapper disk: "strict" or "legacy".</summary>
    internal const string DmAbi = "dm-abi";

    // Written by blkback (docs/protocol-facts.md §5, §6).
    internal const string Opened = "opened";
    internal const string ErrorDirectory = "error";
    internal const string Error = "error";

    // Domain nodes read by the sharing checks (Xen's same_vm).
    internal const string LocalDomain = "/local/domain";
    internal const string Vm = "vm";
    internal const string Target = "target";

    internal const string BackendDirectory = "backend";
    internal const string VbdType = "vbd";

    internal const string StatusConnected = "connected";

    /// <summary>
    /// Joins path components with '/'. An empty first component stands for the connection's own domain
    /// home, so the result stays relative (libxenstore resolves it as libxl's XENBUS_PATH is resolved).
    /// </summary>
    internal static string Path(string first, params ReadOnlySpan<string> rest)
    {
        var path = new StringBuilder(first);
        foreach (string part in rest)
        {
            if (path.Length > 0)
                path.Append('/');
            path.Append(part);
        }
        return path.ToString();
    }

    /// <summary>/local/domain/N, the home of domain N.</summary>
    internal static string DomainHome(uint domainId) => Path(LocalDomain, Decimal(domainId));

    internal static string Decimal(uint value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
