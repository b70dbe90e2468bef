using System;
using System.Globalization;
using System.IO;
using BlockDiskseq.Devices;
using BlockDiskseq.TestSupport;

namespace BlockDiskseq.Tests.Integration;

/// <summary>
/// A loop device of the test's own, bound by losetup as an admin would: nobody holds it exclusively (an
/// O_EXCL holder, like LoopDevice.Attach's fd, is a claim the program refuses: issue 21, item 5).
/// </summary>
internal sealed class AdminLoop : IDisposable
{
    /// <param name="backing">An image file, or a block device to stack the loop device on.</param>
    public AdminLoop(string backing, bool readOnly = false)
        => Path = Tools.Run("losetup", [.. readOnly ? new[] { "--read-only" } : [], "--find", "--show", backing]).Trim();

    public string Path { get; }
    public DeviceNumber Device => LoopScratch.StatusOf(Path).RDev;
    public ulong Diskseq => ulong.Parse(File.ReadAllText($"/sys/dev/block/{Device.Major}:{Device.Minor}/diskseq").Trim(), CultureInfo.InvariantCulture);
    public bool IsBound => Directory.Exists($"/sys/dev/block/{Device.Major}:{Device.Minor}/loop");

    public void Dispose() => Tools.Run("losetup", "--detach", Path);
}
