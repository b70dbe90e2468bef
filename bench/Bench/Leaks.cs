using System;
using BlockDiskseq.Devices;
using BlockDiskseq.TestSupport;

namespace BlockDiskseq.Bench;

/// <summary>A benchmark that leaks loop devices measures the wrong thing: check after every round.</summary>
internal static class Leaks
{
    /// <summary>The tests' check (TestSupport.LoopsLeft: by inode, with its settle limit), failing the run.</summary>
    public static void AssertNoLoopOn(string image)
    {
        if (LoopsLeft.On(image) is [DeviceNumber bound, ..])
            throw new InvalidOperationException($"loop device {bound} is still bound to {image}");
    }
}
