using System;
using System.Collections.Generic;
using System.IO;
using BlockDiskseq.Native;

namespace BlockDiskseq.Devices;

/// <summary>
/// Who uses a loop device that has no file bound to it (docs/design.md, "Loop devices nobody may be
/// handed"). LOOP_CTL_GET_FREE answers the lowest unbound device, and our O_EXCL open only keeps out
/// other exclusive openers; blkback, dd or qemu open without O_EXCL, and whoever holds a device when a
/// file is bound to it reads and writes that file from then on. So before binding, Attach asks here and
/// skips a device that:
/// - has a holder in sysfs (a dm table or md array stacked on it: holders/);
/// - another backend uses or names: blkback holds it (its vbd-D-N/physical_device attribute under the
///   xen-backend sysfs names it, docs/protocol-facts.md §5, the kernel's own record whichever toolstack wrote
///   physical-device), or a backend's physical-device names it in Xenstore and blkback has not opened it yet;
///   this lookup is the caller's (the Devices layer has no Xenstore; Sharing/BackendClaims.cs);
/// - a process other than us has open: a /proc/PID/fd entry whose statx is this block device.
/// statx with AT_STATX_DONT_SYNC asks no network filesystem's server, so a hung mount cannot stall the scan.
/// The sets are read once per attach, at the first device that needs them: an opener that arrives later
/// races the bind itself, which no check can close (only an exclusive open would, and blkback's is not).
/// </summary>
internal sealed class LoopUsers
{
    private readonly Func<DeviceNumber, string?> claimedByBackend;
    private Dictionary<DeviceNumber, string>? openedByProcess;

    /// <param name="claimedByBackend">The backend that uses or names the device, described; null if none.</param>
    internal LoopUsers(Func<DeviceNumber, string?> claimedByBackend) => this.claimedByBackend = claimedByBackend;

    /// <summary>Without Xenstore: the kernel's records and the processes only (tests, tools).</summary>
    internal static LoopUsers KernelOnly()
    {
        Dictionary<DeviceNumber, string>? held = null;
        return new(device =>
        {
            held ??= BlkbackDevices("/sys");
            return held.TryGetValue(device, out string? vbd) ? $"held by blkback ({vbd})" : null;
        });
    }

    /// <summary>Who uses the device, described for the log; null if nobody we can see.</summary>
    internal string? UserOf(DeviceNumber device)
    {
        if (Holder(device) is string holder)
            return $"held by {holder}";
        if (claimedByBackend(device) is string backend)
            return backend;
        openedByProcess ??= ProcessOpeners();
        return openedByProcess.TryGetValue(device, out string? process) ? $"open in {process}" : null;
    }

    private static string? Holder(DeviceNumber device)
    {
        string holders = $"{Sysfs.DevBlock(device)}/holders";
        if (!Directory.Exists(holders))
            return null;
        foreach (string entry in Directory.EnumerateFileSystemEntries(holders))
            return Path.GetFileName(entry);
        return null;
    }

    /// <summary>Every device blkback holds: bus/xen-backend/devices/vbd-*/physical_device, with its vbd.</summary>
    internal static Dictionary<DeviceNumber, string> BlkbackDevices(string sysfsRoot)
    {
        var held = new Dictionary<DeviceNumber, string>();
        foreach (XenBackendDevices.Vbd vbd in XenBackendDevices.TryScan(sysfsRoot) ?? [])
        {
            if (vbd.Held is DeviceNumber device)
                held.TryAdd(device, vbd.Name);
        }
        return held;
    }

    /// <summary>Every block device some other process has open, with one such process ("process 123 (dd)").</summary>
    private static unsafe Dictionary<DeviceNumber, string> ProcessOpeners()
    {
        var opened = new Dictionary<DeviceNumber, string>();
        string self = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (string pid in SafeDir.Names("/proc"))
        {
            if (pid == self || pid.AsSpan().IndexOfAnyExceptInRange('0', '9') >= 0)
                continue;
            string process = $"/proc/{pid}";
            // A process may exit or close its fds during the scan: what is gone uses nothing.
            foreach (string fd in SafeDir.Names($"{process}/fd"))
            {
                LibC.statx_t st;
                if (LibC.statx(LibC.AT_FDCWD, $"{process}/fd/{fd}", LibC.AT_STATX_DONT_SYNC, LibC.STATX_TYPE, &st) != 0
                    || (st.stx_mode & LibC.S_IFMT) != LibC.S_IFBLK)
                    continue;
                var device = new DeviceNumber(st.stx_rdev_major, st.stx_rdev_minor);
                if (!opened.ContainsKey(device))
                    opened[device] = $"process {pid} ({Comm(process)})";
            }
        }
        return opened;
    }

    private static string Comm(string process)
    {
        try
        {
            return Reporting.Sanitise.Line(File.ReadAllText($"{process}/comm").TrimEnd('\n'));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "exited";
        }
    }
}
