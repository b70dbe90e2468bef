using System;
using System.IO;
using System.Threading;

namespace BlockDiskseq.Bench;

/// <summary>A benchmark that leaks loop devices measures the wrong thing: check after every round.</summary>
internal static class Leaks
{
    public static void AssertNoLoopOn(string image)
    {
        // Autoclear detaches at the last close, which the emulator's release has just done; allow a moment.
        for (int attempt = 0; attempt < 50; attempt++)
        {
            string? bound = BoundLoop(image);
            if (bound is null)
                return;
            Thread.Sleep(10);
        }
        throw new InvalidOperationException($"{BoundLoop(image)} is still bound to {image}");
    }

    private static string? BoundLoop(string image)
    {
        foreach (string dir in Directory.EnumerateDirectories("/sys/block", "loop*"))
        {
            string backing = Path.Combine(dir, "loop", "backing_file");
            try
            {
                if (File.ReadAllText(backing).TrimEnd('\n') == image)
                    return "/dev/" + Path.GetFileName(dir);
            }
            catch (IOException)
            {
                // unbound (no loop/ directory) or detached while we looked
            }
        }
        return null;
    }
}
