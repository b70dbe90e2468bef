using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using BlockDiskseq.Cli;
using BlockDiskseq.Native;
using BlockDiskseq.Reporting;

namespace BlockDiskseq.Devices;

/// <summary>
/// Keeps the loop devices we make as few as those bound. LoopDevice.Attach makes a new device for every binding,
/// so each one is deleted (LOOP_CTL_REMOVE) once it is free again: by the add that made it when that add fails,
/// by remove after its teardown. The kernel refuses (EBUSY) to delete a device that is bound or that anybody has
/// open (drivers/block/loop.c, loop_control_remove, Linux 6.1 and 6.18), so a device in use, ours or anyone's,
/// is never deleted. A delete waits for the block layer to let the disk go, about 30-50 ms here, nearly all of
/// it asleep (docs/benchmarks.md, "Cost model").
/// A device still held when its remove runs (blkback closes it from deferred work; udev reading it after the
/// detach) stays, free and still marked (UdevMarker); each later remove deletes up to MaxReclaimed of those.
/// </summary>
internal static class LoopPool
{
    /// <summary>Leftovers deleted per remove: each costs a delete's wait, and a remove must stay short.</summary>
    internal const int MaxReclaimed = 4;

    /// <summary>Deletes the device we made and forgets its udev markers; false when it stays (in use, or bound again).</summary>
    internal static bool Release(int number)
    {
        try
        {
            using SafeFd control = OpenControl();
            return Release(control, number);
        }
        catch (System.Exception e) when (e is NativeException or HotplugFailure)
        {
            // Called while undoing: a failure here must not hide the one being reported.
            Log.Warning($"cannot delete loop{number}: {e.Message}; a later remove deletes it once it is free");
            return false;
        }
    }

    /// <summary>
    /// The same with an open /dev/loop-control. An unbound device may still be open for a moment after our own
    /// close: udev answers the "change" uevent of its detach by opening it. That is retried (PollBackoff,
    /// 31 ms in all); a bound device is someone's again and is left at once.
    /// </summary>
    internal static bool Release(SafeFd control, int number)
    {
        string name = $"loop{number}";
        IReadOnlyList<string> markers = UdevMarker.MarkersOf(name);
        var backoff = new PollBackoff(UnboundOpenWait);
        while (true)
        {
            int errno = TryDelete(control, number);
            if (errno is 0 or LibC.ENODEV)
            {
                UdevMarker.Forget(name, markers);
                Log.Step(errno == 0 ? $"deleted {name}" : $"{name} was already deleted");
                return true;
            }
            if (errno != LibC.EBUSY || IsBound(name) || !backoff.Wait())
            {
                Log.Step($"{name} stays: {LibC.StrError(errno)} ({LibC.ErrnoName(errno)}); a later remove deletes it once it is free");
                return false;
            }
        }
    }

    private static readonly System.TimeSpan UnboundOpenWait = System.TimeSpan.FromMilliseconds(31);

    /// <summary>
    /// Deletes up to <paramref name="max"/> devices we bound earlier that are free now and that nobody holds: those an
    /// earlier Release had to leave. A marked device that is gone only has its markers forgotten.
    /// </summary>
    internal static void Reclaim(int max = MaxReclaimed)
    {
        SafeFd? control = null;
        int deleted = 0;
        try
        {
            foreach (string name in UdevMarker.MarkedNames())
            {
                if (!Directory.Exists($"{Sysfs.Root}/block/{name}"))
                {
                    // No device: an add killed before its LOOP_CTL_ADD, or one about to make it (left alone).
                    IReadOnlyList<string> old = UdevMarker.MarkersOf(name);
                    if (old.Count > 0 || !UdevMarker.MayBeReserving(name))
                        UdevMarker.Forget(name, old);
                    continue;
                }
                if (IsBound(name))
                    continue;
                IReadOnlyList<string> markers = UdevMarker.MarkersOf(name);
                control ??= OpenControl();
                if (TryDelete(control, LoopDevice.NumberOf(name)) is 0 or LibC.ENODEV)
                {
                    UdevMarker.Forget(name, markers);
                    Log.Step($"deleted {name}, left free by an earlier teardown");
                    if (++deleted == max)
                        return;
                }
            }
        }
        finally
        {
            control?.Dispose();
        }
    }

    /// <summary>LOOP_CTL_REMOVE; 0 or the errno (EBUSY: bound or open; ENODEV: no such device).</summary>
    private static int TryDelete(SafeFd control, int number)
        => LibC.ioctl(control, LibC.LOOP_CTL_REMOVE, number) == 0 ? 0 : Marshal.GetLastPInvokeError();

    // sysfs shows loop/ under a loop device only while a file is bound to it.
    private static bool IsBound(string name) => Directory.Exists($"{Sysfs.Root}/block/{name}/loop");

    private static SafeFd OpenControl()
        => NativeException.Check(LibC.open(LoopDevice.ControlPath, LibC.O_RDWR | LibC.O_CLOEXEC | LibC.O_NOCTTY, 0),
                                 "open", LoopDevice.ControlPath);
}
