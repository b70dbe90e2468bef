using System;
using System.Collections.Generic;
using System.IO;
using BlockDiskseq.Native;

namespace BlockDiskseq.Devices;

/// <summary>
/// The vbd devices on the xen-backend bus in sysfs: bus/xen-backend/devices/vbd-DOMID-DEVID, one per vbd
/// backend directory of this domain that xenbus has probed, and its physical_device attribute ("%x:%x\n"),
/// which blkback creates right after it opened the device (docs/protocol-facts.md §5).
/// </summary>
internal static class XenBackendDevices
{
    /// <summary>One vbd on the bus: whose it is, and the device blkback holds for it (null: none yet).</summary>
    internal sealed record Vbd(string Name, uint FrontendId, uint DeviceId, DeviceNumber? Held);

    /// <summary>Every vbd on the bus; null when the bus has no devices directory (no xenbus backend here).</summary>
    internal static List<Vbd>? TryScan(string sysfsRoot)
    {
        string devices = $"{sysfsRoot.TrimEnd('/')}/bus/xen-backend/devices";
        if (!Directory.Exists(devices))
            return null;
        var vbds = new List<Vbd>();
        foreach (string name in SafeDir.Names(devices))
        {
            if (TryParseName(name, out uint frontendId, out uint deviceId))
                vbds.Add(new Vbd(name, frontendId, deviceId, HeldDevice($"{devices}/{name}/physical_device")));
        }
        return vbds;
    }

    /// <summary>
    /// The Xenstore directory of a vbd, from its nodename attribute ("backend/vbd/DOMID/DEVID", relative to the
    /// backend domain's home): the bus id takes DOMID from the frontend-id node, which a hand-written backend
    /// could set apart from its path. Null when the attribute is missing (then the bus id's numbers stand).
    /// </summary>
    internal static string? NodeName(string sysfsRoot, Vbd vbd)
        => KernelFile.TryReadText($"{sysfsRoot.TrimEnd('/')}/bus/xen-backend/devices/{vbd.Name}/nodename")?.TrimEnd('\n');

    /// <summary>vbd-DOMID-DEVID, both decimal (xenbus_probe_backend's bus id).</summary>
    internal static bool TryParseName(string name, out uint frontendId, out uint deviceId)
    {
        frontendId = deviceId = 0;
        const string Prefix = "vbd-";
        if (!name.StartsWith(Prefix, StringComparison.Ordinal))
            return false;
        ReadOnlySpan<char> rest = name.AsSpan(Prefix.Length);
        int dash = rest.IndexOf('-');
        return dash > 0
               && uint.TryParse(rest[..dash], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out frontendId)
               && uint.TryParse(rest[(dash + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out deviceId);
    }

    /// <summary>
    /// The attribute's device; null when it does not exist (blkback has not opened a device), went away since the
    /// listing (KernelFile: ENODEV), or does not parse. KernelFile reads it with one open, pread and close through
    /// a stack page: a host with 1,000 backends reads 1,000 of these.
    /// </summary>
    private static DeviceNumber? HeldDevice(string attribute)
        => DeviceNumber.TryParse(KernelFile.TryReadText(attribute)?.TrimEnd('\n'), out DeviceNumber device) ? device : null;
}
