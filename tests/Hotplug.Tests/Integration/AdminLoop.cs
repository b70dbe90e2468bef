using System;
using System.Globalization;
using System.IO;
using BlockDiskseq.Devices;
using BlockDiskseq.TestSupport;

namespace BlockDiskseq.Tests.Integration;

/// <summary>
/// A block device of the test's own, bound by losetup as an admin would: nobody holds it exclusively (an
/// O_EXCL holder, like LoopDevice.Attach's fd, is a claim the program refuses: issue 21, item 5).
/// </summary>
internal sealed class AdminLoop : IDisposable
{
    public AdminLoop(string image) => Path = Tools.Run("losetup", "--find", "--show", image).Trim();

    public string Path { get; }
    public DeviceNumber Device => LoopScratch.StatusOf(Path).RDev;
    public ulong Diskseq => ulong.Parse(File.ReadAllText($"/sys/dev/block/{Device.Major}:{Device.Minor}/diskseq").Trim(), CultureInfo.InvariantCulture);
    public bool IsBound => Directory.Exists($"/sys/dev/block/{Device.Major}:{Device.Minor}/loop");

    public void Dispose() => Tools.Run("losetup", "--detach", Path);
}
