using System.IO;
using System.Linq;
using BlockDiskseq.Devices;
using BlockDiskseq.Reporting;

namespace BlockDiskseq.Sharing;

/// <summary>
/// Devices stacked on a block device in this domain: device-mapper (our own snapshots and slices, LVM)
/// or md claim their lower devices and appear in its sysfs holders/ (bd_link_disk_holder). Such a user is
/// no mount and no backend's physical-device, so Xen's checks miss it; writing under it corrupts it
/// (a snapshot's origin above all). The lower device's ro flag says whether the stack can write to it.
/// </summary>
internal static class StackedUse
{
    /// <summary>The holder that conflicts with using the device in <paramref name="mode"/>, described; null if none.</summary>
    internal static string? ConflictingHolder(string deviceDirectory, AccessMode mode)
    {
        if (HolderOf(deviceDirectory) is not (string holder, bool stackMayWrite))
            return null;
        if (mode == AccessMode.Read && !stackMayWrite)
            return null; // readers share with a stack that only reads (snapshots of one origin)
        return holder;
    }

    /// <summary>The first holder (by name), with its dm name where it has one, and whether the stack may write; null if none.</summary>
    internal static (string Holder, bool StackMayWrite)? HolderOf(string deviceDirectory)
    {
        string holders = Path.Combine(deviceDirectory, "holders");
        string? holder = KernelFile.TryList(holders)?.Select(Path.GetFileName).Order().FirstOrDefault();
        if (holder is null)
            return null;
        bool stackMayWrite = KernelFile.TryReadText(Path.Combine(deviceDirectory, "ro")) != "1\n";
        string? dmName = KernelFile.TryReadText(Path.Combine(holders, holder, "dm", "name"))?.TrimEnd('\n');
        return (dmName is null ? holder : $"{holder}, {dmName}", stackMayWrite);
    }
}
