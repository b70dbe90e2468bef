using System;
using System.IO;
using BlockDiskseq.Native;
using BlockDiskseq.Reporting;

namespace BlockDiskseq.Devices;

/// <summary>Reads small sysfs and procfs files.</summary>
internal static class KernelFile
{
    /// <summary>
    /// The content as the kernel wrote it (sysfs attributes end in "\n"); null if the file does not exist, or
    /// its kernel object went away between the open and the read (see <see cref="TryRead"/>).
    /// </summary>
    internal static string? TryReadText(string path)
    {
        using FileStream? file = TryOpen(path);
        return file is null ? null : TryRead(file, path);
    }

    /// <summary>The file opened for reading; null if it does not exist.</summary>
    internal static FileStream? TryOpen(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HotplugFailure($"reading {path}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Reads an opened kernel file to its end. A sysfs attribute whose object is removed after the open
    /// answers ENODEV (kernfs, fs/kernfs/file.c: kernfs_fop_read_iter when kernfs_get_active fails), e.g.
    /// loopN/loop/backing_file of a loop device detached meanwhile: that is a file gone, not a failure.
    /// </summary>
    internal static string? TryRead(FileStream file, string path)
    {
        try
        {
            using var reader = new StreamReader(file, leaveOpen: true);
            return reader.ReadToEnd();
        }
        catch (IOException e) when (e.HResult == LibC.ENODEV)
        {
            return null;
        }
        catch (IOException e)
        {
            throw new HotplugFailure($"reading {path}: {e.Message}", e);
        }
    }
}
