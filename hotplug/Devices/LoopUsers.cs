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
            held ??= BlkbackDevices(Sysfs.Root);
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
        foreach (string entry in KernelFile.TryList(holders) ?? [])
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
    /// <remarks>
    /// One pass over /proc/PID/fd for every process, so its cost grows with the processes and fds on the host
    /// (docs/benchmarks.md, "Tuning"). Each fd is statx-ed relative to its open fd directory, by
    /// the name readdir returned: no path is built or walked again per fd, and nothing is allocated for one.
    /// </remarks>
    private static unsafe Dictionary<DeviceNumber, string> ProcessOpeners()
    {
        var opened = new Dictionary<DeviceNumber, string>();
        int self = Environment.ProcessId;
        using SafeDir proc = LibC.opendir("/proc");
        if (proc.IsInvalid)
            return opened;
        for (LibC.dirent_t* entry = LibC.readdir(proc); entry != null; entry = LibC.readdir(proc))
        {
            if (ProcessId(entry->d_name) is int pid && pid != self)
                AddOpenedDevices(pid, opened);
        }
        return opened;
    }

    /// <summary>The block devices behind /proc/PID/fd. A process may exit or close its fds meanwhile: what is gone uses nothing.</summary>
    private static unsafe void AddOpenedDevices(int pid, Dictionary<DeviceNumber, string> opened)
    {
        using SafeDir fds = LibC.opendir($"/proc/{pid}/fd");
        if (fds.IsInvalid)
            return;
        int fdDirectory = LibC.dirfd(fds);
        for (LibC.dirent_t* entry = LibC.readdir(fds); entry != null; entry = LibC.readdir(fds))
        {
            if (entry->d_name[0] == (byte)'.')
                continue; // "." and ".."; every other name is an fd number
            LibC.statx_t st;
            if (LibC.statx(fdDirectory, entry->d_name, LibC.AT_STATX_DONT_SYNC, LibC.STATX_TYPE, &st) != 0
                || (st.stx_mode & LibC.S_IFMT) != LibC.S_IFBLK)
                continue;
            var device = new DeviceNumber(st.stx_rdev_major, st.stx_rdev_minor);
            if (!opened.ContainsKey(device))
                opened[device] = $"process {pid} ({Comm($"/proc/{pid}")})";
        }
    }

    /// <summary>A /proc entry's name as a process ID; null for the entries that are not processes (self, sys, ...).</summary>
    private static unsafe int? ProcessId(byte* name)
    {
        int pid = 0;
        int i = 0;
        for (; name[i] != 0; i++)
        {
            if (name[i] is < (byte)'0' or > (byte)'9' || i >= 9)
                return null;
            pid = pid * 10 + (name[i] - '0');
        }
        return i == 0 ? null : pid;
    }

    private static string Comm(string process)
    {
        try
        {
            return KernelFile.TryReadText($"{process}/comm")?.TrimEnd('\n') ?? "exited";
        }
        catch (Reporting.HotplugFailure)
        {
            return "exited";
        }
    }
}
