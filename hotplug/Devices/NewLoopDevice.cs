using System.Collections.Generic;
using System.Runtime.InteropServices;
using BlockDiskseq.Native;
using BlockDiskseq.Reporting;

namespace BlockDiskseq.Devices;

/// <summary>
/// Makes the loop device an add binds, marked ours before it exists, so that a kill at any instant leaves
/// nothing LoopPool cannot find: add picks the lowest index without a device, makes its marker directory
/// (UdevMarker.TryReserve: mkdir, so one add per index; an existing directory is another add's or a leftover,
/// and is passed over), then asks for exactly that index (LOOP_CTL_ADD(index)). A kill during the ioctl leaves
/// a marked device; a kill before it an empty directory of a device that does not exist (LoopPool.Reclaim
/// forgets it). Another program may make the index meanwhile (losetup's LOOP_CTL_GET_FREE or ADD(-1) take the
/// lowest unused one too): ADD answers EEXIST (drivers/block/loop.c, loop_add: idr_alloc(i, i + 1) turns
/// ENOSPC into EEXIST, Linux 6.1 and 6.18), the directory goes and the next index is tried.
/// Before, LOOP_CTL_ADD(-1) came first and the mark after it: a SIGKILL during the ioctl (0.24 ms; the kernel
/// completes it and the process dies before it sees the number) left a free device that nothing deleted,
/// about one per run of KillTests' random kills.
/// </summary>
internal static class NewLoopDevice
{
    /// <summary>
    /// Indices passed over before add gives up: each is one made meanwhile by another program, a leftover
    /// directory, or another add's (64 adds started together pass over at most 63 of each other's).
    /// </summary>
    internal const int MaxCandidates = 1024;

    /// <summary>The number of the device made, whose marker directory exists (in <paramref name="markers"/>, UdevMarker.PrepareReserve).</summary>
    internal static int Make(SafeFd control, string markers)
    {
        HashSet<int> existing = ExistingIndices();
        int candidate = -1;
        for (int tried = 0; tried < MaxCandidates; tried++)
        {
            do
                candidate++;
            while (existing.Contains(candidate));
            if (!UdevMarker.TryReserve(markers, candidate))
                continue;
            if (LibC.ioctl(control, LibC.LOOP_CTL_ADD, candidate) >= 0)
                return candidate;
            int errno = Marshal.GetLastPInvokeError();
            UdevMarker.Unreserve(markers, candidate);
            if (errno != LibC.EEXIST)
                throw new NativeException($"ioctl(LOOP_CTL_ADD, {candidate})", LoopDevice.ControlPath, errno);
        }
        throw new HotplugFailure($"could not make a loop device: the {MaxCandidates} lowest free indices "
            + "were made by others or reserved by other adds meanwhile");
    }

    /// <summary>The indices of the loop devices that exist (/sys/block/loopN).</summary>
    private static HashSet<int> ExistingIndices()
    {
        var indices = new HashSet<int>();
        foreach (string entry in KernelFile.TryList($"{Sysfs.Root}/block") ?? [])
        {
            string name = System.IO.Path.GetFileName(entry);
            if (LoopDevice.IsLoopName(name))
                indices.Add(LoopDevice.NumberOf(name));
        }
        return indices;
    }
}
