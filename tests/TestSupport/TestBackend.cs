using System.Globalization;
using TestXenstored;

namespace BlockDiskseq.TestSupport;

/// <summary>A vbd backend in dom0 as libxl creates it, with its emulated blkback (if any).</summary>
internal sealed class TestBackend
{
    private readonly XenstoreServer server;

    internal TestBackend(XenstoreServer server, uint frontendId, uint deviceId)
    {
        this.server = server;
        FrontendId = frontendId;
        DeviceId = deviceId;
    }

    public uint FrontendId { get; }
    public uint DeviceId { get; }
    public BlkbackEmulator? Blkback { get; internal set; }

    /// <summary>libxl's XENBUS_PATH: relative to the caller's (dom0's) home.</summary>
    public string Relative => $"backend/vbd/{Decimal(FrontendId)}/{Decimal(DeviceId)}";
    public string Absolute => "/local/domain/0/" + Relative;
    public string ErrorNode => $"/local/domain/0/error/{Relative}/error";

    public string? this[string key] => server.Read($"{Absolute}/{key}");

    public void Write(string key, string value) => server.Write($"{Absolute}/{key}", value);

    public void Remove(string key) => server.Remove($"{Absolute}/{key}");

    /// <summary>
    /// What libxl's device_disk_add and libxl__device_generic_add write (docs/protocol-facts.md §2), state 1;
    /// blkback's probe then moves it to 2.
    /// </summary>
    internal void WriteLibxlNodes(string parameters, string mode)
    {
        string frontend = $"/local/domain/{Decimal(FrontendId)}/device/vbd/{Decimal(DeviceId)}";
        Write("frontend", frontend);
        Write("params", parameters);
        Write("script", "/etc/xen/scripts/block-diskseq");
        Write("frontend-id", Decimal(FrontendId));
        Write("online", "1");
        Write("removable", "0");
        Write("bootable", "1");
        Write("state", "1");
        Write("dev", "xvda");
        Write("type", "phy");
        Write("mode", mode);
        Write("device-type", "disk");
        Write("discard-enable", mode.Contains('w') ? "1" : "0");
        server.Write($"{frontend}/backend", Absolute);
        server.Write($"{frontend}/backend-id", "0");
        server.Write($"{frontend}/state", "1");
        server.Write($"{frontend}/virtual-device", Decimal(DeviceId));
        server.Write($"{frontend}/device-type", "disk");
    }

    internal static string Decimal(uint value) => value.ToString(CultureInfo.InvariantCulture);
}
