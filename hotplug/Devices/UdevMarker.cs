using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using BlockDiskseq.Native;
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
/// A dm device created with the strict ABI gets one too (RUNDIR/udev/dm-N/DISKSEQ, DmDevice.Activate): its
/// only uevent may come before its uuid is in sysfs.
/// </summary>
internal static class UdevMarker
{
    internal const string Subdirectory = "udev";

    /// <summary>RUNDIR/udev/NAME/DISKSEQ (decimal, as the uevent's DISKSEQ).</summary>
    internal static string PathOf(string runDir, string name, ulong diskseq)
        => $"{runDir}/{Subdirectory}/{name}/{diskseq}";

    /// <summary>
    /// Writes the markers of <paramref name="name"/> (loopN) bound as <paramref name="diskseq"/>, and of the
    /// diskseq it had when add made it (<paramref name="madeAs"/>): the "add" uevent of a new device carries that
    /// one, and udevd may process it only after our bind (it requeues events while we hold the device's lock),
    /// when loop/backing_file exists and 60-persistent-storage.rules would probe the guest's data.
    /// </summary>
    internal static void Mark(string name, ulong diskseq, ulong? madeAs = null) => Mark(BackingLock.RunDir, name, diskseq, madeAs);

    internal static void Mark(string runDir, string name, ulong diskseq, ulong? madeAs = null)
    {
        // RunDirectory checks that the run directory is root's alone, so nothing below it can be
        // another user's symlink: plain file APIs are safe under it.
        RunDirectory.Open(runDir).Dispose();
        string dir = $"{runDir}/{Subdirectory}/{name}";
        string[] markers = madeAs is ulong made && made != diskseq
            ? [PathOf(runDir, name, diskseq), PathOf(runDir, name, made)]
            : [PathOf(runDir, name, diskseq)];
        try
        {
            try
            {
                Write(dir, markers);
            }
            catch (DirectoryNotFoundException)
            {
                // LoopPool.Reclaim of a remove deleted the empty directory of this index's earlier device between
                // the two calls: make it again, once (that remove is done with it).
                Write(dir, markers);
            }
            foreach (string old in Directory.EnumerateFiles(dir))
            {
                if (Array.IndexOf(markers, old) < 0)
                    File.Delete(old);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HotplugFailure($"cannot write the udev marker {markers[0]}: {ErrorText.Of(e)}", e);
        }
    }

    private static void Write(string dir, string[] markers)
    {
        Directory.CreateDirectory(dir);
        foreach (string marker in markers)
            File.WriteAllBytes(marker, []);
    }

    private const uint DirectoryMode = 0x1ed; // 0755, as Directory.CreateDirectory makes them

    /// <summary>
    /// Everything TryReserve needs, done once per add: the run directory checked (RunDirectory) and RUNDIR/udev
    /// made. TryReserve is then a single mkdir per index.
    /// </summary>
    internal static string PrepareReserve()
    {
        RunDirectory.Open(BackingLock.RunDir).Dispose();
        string parent = $"{BackingLock.RunDir}/{Subdirectory}";
        try
        {
            Directory.CreateDirectory(parent);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HotplugFailure($"cannot make the udev marker directory {parent}: {ErrorText.Of(e)}", e);
        }
        return parent;
    }

    /// <summary>
    /// The marker directory of loop device <paramref name="number"/>, made before add asks for that device
    /// (NewLoopDevice): LoopPool deletes a marked device that is free, so one whose add was killed before the
    /// bind, or inside LOOP_CTL_ADD, does not stay behind. False when the directory exists: another add is
    /// making that device, or a leftover of one killed before its ADD (LoopPool.Reclaim forgets those).
    /// </summary>
    internal static bool TryReserve(string parent, int number)
    {
        string dir = $"{parent}/loop{number}";
        if (LibC.mkdir(dir, DirectoryMode) == 0)
            return true;
        int errno = Marshal.GetLastPInvokeError();
        return errno == LibC.EEXIST ? false
            : throw new HotplugFailure($"cannot make the udev marker directory {dir}: {ErrorText.Describe(errno)}");
    }

    /// <summary>Removes a reservation whose device another program made first: that device is not ours.</summary>
    internal static void Unreserve(string parent, int number)
    {
        string dir = $"{parent}/loop{number}";
        if (LibC.rmdir(dir) == -1)
            Log.Step($"cannot remove the udev marker directory {dir}: {ErrorText.Describe(Marshal.GetLastPInvokeError())}, leaving it");
    }

    /// <summary>
    /// How old the empty marker directory of a device that does not exist must be before LoopPool.Reclaim forgets
    /// it: a younger one may be an add between its mkdir and its LOOP_CTL_ADD (microseconds; 10 s leaves room
    /// for a stalled machine). Forgetting it then would leave that add's device unmarked until its bind.
    /// </summary>
    internal static readonly TimeSpan ReservationAge = TimeSpan.FromSeconds(10);

    /// <summary>True while the marker directory of <paramref name="name"/> may be a reservation in progress (ReservationAge).</summary>
    internal static bool MayBeReserving(string name)
        => DateTime.UtcNow - Directory.GetLastWriteTimeUtc($"{BackingLock.RunDir}/{Subdirectory}/{name}") < ReservationAge;

    /// <summary>The loop devices (loopN) that have a marker directory: every device we ever bound since boot, unless forgotten.</summary>
    internal static IEnumerable<string> MarkedNames()
    {
        foreach (string dir in KernelFile.TryList($"{BackingLock.RunDir}/{Subdirectory}", directoriesOnly: true) ?? [])
        {
            string name = Path.GetFileName(dir);
            if (LoopDevice.IsLoopName(name))
                yield return name;
        }
    }

    /// <summary>The marker files of one device now: read before the device is deleted, forgotten after (Forget).</summary>
    internal static IReadOnlyList<string> MarkersOf(string name)
        => KernelFile.TryList($"{BackingLock.RunDir}/{Subdirectory}/{name}") ?? [];

    /// <summary>
    /// Deletes markers read before the device was deleted, then its directory if nothing else is in it: a new
    /// device at the same index may have been bound and marked since, and its marker must stay.
    /// </summary>
    internal static void Forget(string name, IReadOnlyList<string> markers)
    {
        try
        {
            foreach (string marker in markers)
                File.Delete(marker); // no error if another remove deleted it first
            Directory.Delete($"{BackingLock.RunDir}/{Subdirectory}/{name}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not empty (a new binding's marker), or gone already: both are fine. Anything else only leaves an
            // empty file that names a binding which cannot exist again.
            Log.Step($"udev markers of {name}: {ErrorText.Of(e)}, leaving them");
        }
    }
}
