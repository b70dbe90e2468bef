using System;
using System.Diagnostics.CodeAnalysis;

namespace BlockDiskseq.Backend;

/// <summary>
/// A vbd backend directory: libxl's relative XENBUS_PATH "backend/vbd/DOMID/DEVID" (resolved against the
/// caller's own domain home) or the absolute "/local/domain/N/backend/vbd/DOMID/DEVID".
/// </summary>
internal sealed record BackendPath
{
    /// <summary>Domain ids from DOMID_FIRST_RESERVED (0x7FF0) up are not real domains (xen/include/public/xen.h).</summary>
    private const uint FirstReservedDomainId = 0x7FF0;

    /// <summary>The path exactly as given (relative or absolute).</summary>
    public string Path { get; }
    /// <summary>The backend domain when the path is absolute; null means "the domain we run in".</summary>
    public uint? BackendDomainId { get; }
    public uint FrontendId { get; }
    public uint DeviceId { get; }

    private BackendPath(string path, uint? backendDomainId, uint frontendId, uint deviceId)
    {
        Path = path;
        BackendDomainId = backendDomainId;
        FrontendId = frontendId;
        DeviceId = deviceId;
    }

    /// <summary>"" (relative paths, our own home) or /local/domain/N.</summary>
    public string DomainHome => BackendDomainId is uint id ? BackendNodes.DomainHome(id) : "";

    public string Node(string key) => BackendNodes.Path(Path, key);

    /// <summary>backend/vbd of the same domain: every disk this domain serves.</summary>
    public string VbdDirectory => BackendNodes.Path(DomainHome, BackendNodes.BackendDirectory, BackendNodes.VbdType);

    /// <summary>
    /// Where blkback's xenbus_dev_fatal writes: "error/" + its own nodename (relative to its domain's home),
    /// i.e. /local/domain/SELF/error/backend/vbd/DOMID/DEVID/error (docs/protocol-facts.md §5).
    /// </summary>
    public string BlkbackErrorNode => BackendNodes.Path(DomainHome, BackendNodes.ErrorDirectory,
        BackendNodes.BackendDirectory, BackendNodes.VbdType, BackendNodes.Decimal(FrontendId),
        BackendNodes.Decimal(DeviceId), BackendNodes.Error);

    /// <summary>The xen-backend bus device name in sysfs: vbd-DOMID-DEVID.</summary>
    public string SysfsDeviceName => $"vbd-{FrontendId}-{DeviceId}";

    /// <summary>The backend of another disk in the same backend domain (sharing scan, status listing).</summary>
    public BackendPath Sibling(uint frontendId, uint deviceId) => new(
        BackendNodes.Path(VbdDirectory, BackendNodes.Decimal(frontendId), BackendNodes.Decimal(deviceId)),
        BackendDomainId, frontendId, deviceId);

    public override string ToString() => Path;

    public static bool TryParse(string? text, [NotNullWhen(true)] out BackendPath? backend)
    {
        backend = null;
        if (string.IsNullOrEmpty(text))
            return false;
        string[] parts = text.Split('/');
        uint? backendDomain = null;
        int at = 0;
        if (parts[0].Length == 0)
        {
            // "/local/domain/N/backend/..." splits to "", "local", "domain", "N", "backend", ...
            if (parts.Length != 8 || parts[1] != "local" || parts[2] != "domain" || !TryParseDomainId(parts[3], out uint id))
                return false;
            backendDomain = id;
            at = 4;
        }
        else if (parts.Length != 4)
        {
            return false;
        }
        if (parts[at] != BackendNodes.BackendDirectory || parts[at + 1] != BackendNodes.VbdType
            || !TryParseDomainId(parts[at + 2], out uint frontend) || !TryParseDecimal(parts[at + 3], out uint device))
            return false;
        backend = new BackendPath(text, backendDomain, frontend, device);
        return true;
    }

    internal static bool TryParseDomainId(string text, out uint id)
        => TryParseDecimal(text, out id) && id < FirstReservedDomainId;

    /// <summary>Decimal as Xen writes it: digits only, no sign, no leading zero, fits 32 bits.</summary>
    internal static bool TryParseDecimal(string text, out uint value)
    {
        value = 0;
        if (text.Length == 0 || text.Length > 10 || (text.Length > 1 && text[0] == '0'))
            return false;
        ulong v = 0;
        foreach (char c in text)
        {
            if (c is < '0' or > '9')
                return false;
            v = v * 10 + (uint)(c - '0');
        }
        if (v > uint.MaxValue)
            return false;
        value = (uint)v;
        return true;
    }
}
