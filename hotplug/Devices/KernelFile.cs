using System;
using System.Collections.Generic;
using System.IO;
using BlockDiskseq.Native;
using BlockDiskseq.Reporting;
using Microsoft.Win32.SafeHandles;

namespace BlockDiskseq.Devices;

/// <summary>Reads small sysfs and procfs files and lists their directories; every failure in our words.</summary>
internal static class KernelFile
{
    /// <summary>
    /// The content as the kernel wrote it (sysfs attributes end in "\n"); null if the file does not exist, or
    /// its kernel object went away between the open and the read (see <see cref="TryRead"/>).
    /// </summary>
    internal static string? TryReadText(string path)
    {
        using SafeFileHandle? file = TryOpen(path);
        return file is null ? null : TryRead(file, path);
    }

    /// <summary>The file opened for reading; null if it does not exist.</summary>
    internal static SafeFileHandle? TryOpen(string path)
    {
        try
        {
            // No sharing mode to honour on a kernel file (the vbd attribute reads, which now come here, had none).
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failure("opening", path, e);
        }
    }

    /// <summary>
    /// Reads an opened kernel file to its end. A sysfs attribute whose object is removed after the open
    /// answers ENODEV (kernfs, fs/kernfs/file.c: kernfs_fop_read_iter when kernfs_get_active fails), e.g.
    /// loopN/loop/backing_file of a loop device detached meanwhile: that is a file gone, not a failure.
    /// </summary>
    internal static string? TryRead(SafeFileHandle file, string path)
    {
        try
        {
            return ReadToEnd(file);
        }
        catch (IOException e) when (e.HResult == LibC.ENODEV)
        {
            return null;
        }
        catch (IOException e)
        {
            throw Failure("reading", path, e);
        }
    }

    /// <summary>
    /// The full paths of a sysfs or procfs directory's entries (only its subdirectories if asked), read at
    /// once so that the enumeration's own failures land here; null if the directory does not exist.
    /// </summary>
    internal static IReadOnlyList<string>? TryList(string directory, bool directoriesOnly = false)
    {
        try
        {
            return [.. directoriesOnly ? Directory.EnumerateDirectories(directory) : Directory.EnumerateFileSystemEntries(directory)];
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failure("listing", directory, e);
        }
    }

    /// <summary>
    /// "reading /sys/...: File name too long (ENAMETOOLONG)": what we did, the path, the errno (ErrorText). The
    /// runtime's own Message is a resource key in the published binary ("IO_PathTooLong_Path, ..."), never shown.
    /// </summary>
    private static HotplugFailure Failure(string doing, string path, Exception e) => new($"{doing} {path}: {ErrorText.Of(e)}", e);

    /// <summary>
    /// Up to the end (a procfs read may stop short of it) through one page on the stack. File.ReadAllText
    /// allocated a FileStream, a StreamReader and their buffers (~12 KB) per call, and an add reads 2 files
    /// per bound loop device: with 72 bound, its peak RSS grew by ~2 MiB of garbage no collection reclaimed.
    /// </summary>
    private static string ReadToEnd(SafeFileHandle file)
    {
        Span<byte> data = stackalloc byte[4096];
        int length = 0;
        while (true)
        {
            if (length == data.Length)
            {
                byte[] bigger = new byte[data.Length * 2];
                data.CopyTo(bigger);
                data = bigger;
            }
            int read = RandomAccess.Read(file, data[length..], length);
            if (read == 0)
                return System.Text.Encoding.UTF8.GetString(data[..length]);
            length += read;
        }
    }
}
