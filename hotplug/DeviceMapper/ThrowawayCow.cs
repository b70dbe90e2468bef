using System;
using BlockDiskseq.Devices;
using BlockDiskseq.Native;
using BlockDiskseq.Reporting;

namespace BlockDiskseq.DeviceMapper;

/// <summary>
/// The COW of a throwaway snapshot: an O_TMPFILE file, which never has a name, so nothing can be left
/// behind, whatever happens: the loop device over it holds the last reference, and when the loop device
/// is detached (autoclear, once the dm device above it is gone) the kernel frees the file's blocks.
/// Sparse: only chunks the guest writes take space in the directory's filesystem.
/// </summary>
internal static class ThrowawayCow
{
    internal const string DirectoryVariable = "BLOCK_DISKSEQ_COWDIR";
    /// <summary>Disk-backed and present everywhere, unlike /run (memory) or /tmp (often tmpfs).</summary>
    internal const string DefaultDirectory = "/var/tmp";

    internal static string Directory
        => Environment.GetEnvironmentVariable(DirectoryVariable) is { Length: > 0 } dir ? dir : DefaultDirectory;

    /// <summary>
    /// Creates the file and returns it as an OpenedTarget (a regular file of the given size), the shape
    /// LoopDevice.Attach takes. It is reopened through /proc/self/fd (allowed for O_TMPFILE files made
    /// without O_EXCL) and checked to be the same inode.
    /// </summary>
    internal static OpenedTarget Create(string directory, ulong bytes)
    {
        using SafeFd file = Open(directory);
        NativeException.Check(LibC.ftruncate(file, checked((long)bytes)), "ftruncate", $"a throwaway COW file in {directory}");
        FileStatus created = FileStatus.Of(file, directory);
        OpenedTarget opened = OpenedTarget.Open(new DiskTarget($"/proc/self/fd/{file.Fd}"), AccessMode.Write);
        if (opened.StDev != created.Dev || opened.StIno != created.Ino || opened.Kind != TargetKind.File)
        {
            opened.Dispose();
            throw new HotplugFailure($"reopening the throwaway COW file in {directory} through /proc/self/fd gave another file");
        }
        return opened;
    }

    private static SafeFd Open(string directory)
    {
        try
        {
            return NativeException.Check(LibC.open(directory, LibC.O_TMPFILE | LibC.O_RDWR | LibC.O_CLOEXEC, 0b110_000_000),
                "open(O_TMPFILE)", directory);
        }
        catch (NativeException e) when (e.Errno is LibC.EOPNOTSUPP or LibC.EISDIR)
        {
            // EISDIR: kernels before 3.11 read O_TMPFILE as O_DIRECTORY.
            throw new HotplugFailure($"{directory} cannot hold a throwaway COW file ({e.Message}); "
                + $"set {DirectoryVariable} to a directory on ext4, xfs, btrfs or tmpfs", e);
        }
    }
}
