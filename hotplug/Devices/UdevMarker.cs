using System;
using System.IO;
using BlockDiskseq.Reporting;
using BlockDiskseq.Sharing;

namespace BlockDiskseq.Devices;

/// <summary>
/// Tells dom0's udev that a loop device is ours, so that the shipped rule (udev/11-block-diskseq.rules) keeps
/// every probe away from the guest's data: an empty file RUNDIR/udev/loopN/DISKSEQ, which the rule tests as
/// /run/block-diskseq/udev/$kernel/$env{DISKSEQ} (every uevent of a disk carries its DISKSEQ, Linux 5.15+).
/// The key is the binding itself: a diskseq names one binding of one device until reboot and /run is emptied
/// at boot, so a marker can never describe a later binding, and nothing in it is a path a guest controls.
/// Attach writes it while it holds the device's BSD lock, which udev waits for (docs/protocol-facts.md §10),
/// so udev never runs its rules on the bound device before the marker exists. Without udev it is an unused
/// file. Markers of earlier bindings of the same device are deleted here: at most one per loop device is left.
/// </summary>
internal static class UdevMarker
{
    internal const string Subdirectory = "udev";

    /// <summary>RUNDIR/udev/NAME/DISKSEQ (decimal, as the uevent's DISKSEQ).</summary>
    internal static string PathOf(string runDir, string name, ulong diskseq)
        => $"{runDir}/{Subdirectory}/{name}/{diskseq}";

    /// <summary>Writes the marker of <paramref name="name"/> (loopN) bound as <paramref name="diskseq"/>.</summary>
    internal static void Mark(string name, ulong diskseq) => Mark(BackingLock.RunDir, name, diskseq);

    internal static void Mark(string runDir, string name, ulong diskseq)
    {
        // RunDirectory checks that the run directory is root's alone, so nothing below it can be
        // another user's symlink: plain file APIs are safe under it.
        RunDirectory.Open(runDir).Dispose();
        string dir = $"{runDir}/{Subdirectory}/{name}";
        string marker = PathOf(runDir, name, diskseq);
        try
        {
            Directory.CreateDirectory(dir);
            File.WriteAllBytes(marker, []);
            foreach (string old in Directory.EnumerateFiles(dir))
            {
                if (old != marker)
                    File.Delete(old);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HotplugFailure($"cannot write the udev marker {marker}: {e.Message}", e);
        }
    }
}
