using System;
using BlockDiskseq.Cli;
using BlockDiskseq.Devices;
using BlockDiskseq.Native;
using BlockDiskseq.Reporting;

namespace BlockDiskseq.DeviceMapper;

/// <summary>
/// The COW of a throwaway snapshot: an O_TMPFILE file, which never has a name, so nothing can be left
/// behind, whatever happens: the loop device over it holds the last reference, and when the loop device
/// is detached (autoclear, once the dm device above it is gone) the kernel frees the file's blocks.
/// Its blocks are reserved at add (fallocate): a sparse COW would grow with every chunk the guest writes until
/// dom0's filesystem is full. Reserved, add fails at once with ENOSPC when the space is not there, and the
/// guest can never take more than it was given: the loop device over the file has the file's size, and a
/// snapshot whose COW is full becomes invalid (the guest sees I/O errors) instead of growing.
/// </summary>
internal static class ThrowawayCow
{
    /// <summary>Set once by Program.Main from Settings.CowDirectory.</summary>
    internal static string Directory { get; set; } = Settings.DefaultCowDirectory;

    /// <summary>
    /// Creates the file and returns it as an OpenedTarget (a regular file of the given size), the shape
    /// LoopDevice.Attach takes. It is reopened through /proc/self/fd (allowed for O_TMPFILE files made
    /// without O_EXCL) and checked to be the same inode.
    /// </summary>
    internal static OpenedTarget Create(string directory, ulong bytes)
    {
        using SafeFd file = Open(directory);
        Reserve(file, directory, bytes);
        FileStatus created = FileStatus.Of(file, directory);
        OpenedTarget opened = OpenedTarget.Open(new DiskTarget($"/proc/self/fd/{file.Fd}"), AccessMode.Write);
        if (opened.StDev != created.Dev || opened.StIno != created.Ino || opened.Kind != TargetKind.File)
        {
            opened.Dispose();
            throw new HotplugFailure($"reopening the throwaway COW file in {directory} through /proc/self/fd gave another file");
        }
        return opened;
    }

    private static void Reserve(SafeFd file, string directory, ulong bytes)
    {
        if (LibC.fallocate(file, 0, 0, checked((long)bytes)) == 0)
            return;
        int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
        var e = new NativeException("fallocate", $"a throwaway COW file in {directory}", errno);
        throw errno switch
        {
            LibC.ENOSPC => new HotplugFailure($"no space for the throwaway snapshot's COW: {directory} cannot hold "
                + $"{Mib(bytes)} MiB more ({e.Message}); free space there, give the snapshot a smaller cow-size=, "
                + $"or set {Settings.CowDirectoryVariable} to a filesystem with room", e),
            LibC.EOPNOTSUPP => new HotplugFailure($"{directory} cannot reserve space for a throwaway COW file ({e.Message}); "
                + $"set {Settings.CowDirectoryVariable} to a directory on ext4, xfs, btrfs or tmpfs", e),
            _ => e,
        };
    }

    private static string Mib(ulong bytes) => (bytes / (1024.0 * 1024.0)).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture);

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
                + $"set {Settings.CowDirectoryVariable} to a directory on ext4, xfs, btrfs or tmpfs", e);
        }
    }
}
