using System;
using System.IO;
using BlockDiskseq.Reporting;

namespace BlockDiskseq.Devices;

/// <summary>Reads small sysfs and procfs files.</summary>
internal static class KernelFile
{
    /// <summary>The content as the kernel wrote it (sysfs attributes end in "\n"); null if the file does not exist.</summary>
    internal static string? TryReadText(string path)
    {
        try
        {
            return File.ReadAllText(path);
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
}
