using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using BlockDiskseq.Devices;
using BlockDiskseq.Native;
using BlockDiskseq.Sharing;
using Xunit;

namespace BlockDiskseq.TestSupport;

/// <summary>
/// A test's image files and everything it opened or attached on them. Dispose releases them, then
/// detaches any loop device still bound to one of its images (and only those: the images are ours),
/// waits for the kernel to finish, and deletes the files.
/// </summary>
internal sealed class LoopScratch : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("block-diskseq-devices-").FullName;
    private readonly List<IDisposable> owned = [];
    private readonly List<string> images = [];

    public string CreateImage(string name = "disk.img", long size = 8 << 20, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        string path = Path.Combine(Dir, name);
        using (FileStream f = File.Create(path))
            f.SetLength(size);
        File.SetUnixFileMode(path, mode);
        images.Add(path);
        return path;
    }

    public T Own<T>(T disposable) where T : IDisposable
    {
        owned.Add(disposable);
        return disposable;
    }

    public OpenedTarget Open(string path, AccessMode mode) => Own(OpenedTarget.Open(DiskTarget.Parse(path), mode));

    public LoopDevice Attach(string image, bool readOnly = false)
    {
        OpenedTarget target = Open(image, readOnly ? AccessMode.Read : AccessMode.Write);
        return Own(LoopDevice.Attach(target, readOnly));
    }

    public static FileStatus StatusOf(string path) => FileStatus.TryOfPath(path) ?? throw new FileNotFoundException(path);

    public static IReadOnlyList<DeviceNumber> LoopsBackedBy(string image)
    {
        FileStatus status = StatusOf(image);
        return LocalUsage.LoopsBackedBy(status.Dev, status.Ino);
    }

    /// <summary>/sys/block/loopN/ATTRIBUTE, trimmed; null if absent.</summary>
    public static string? SysBlock(int number, string attribute)
        => KernelFile.TryReadText($"/sys/block/loop{number}/{attribute}")?.TrimEnd('\n');

    public void Dispose()
    {
        for (int i = owned.Count - 1; i >= 0; i--)
            owned[i].Dispose();
        // An image a test deleted cannot be found by name; that test checks its own unbinding.
        foreach (string image in images.Where(File.Exists))
        {
            foreach (DeviceNumber device in LoopsBackedBy(image))
            {
                using LoopDevice? leftover = LoopDevice.OpenExisting(device);
                leftover?.Detach();
            }
            Assert.True(LoopsLeft.On(image).Count == 0, $"a loop device is still bound to {image}");
        }
        DeleteCreatedDevices();
        Directory.Delete(Dir, recursive: true);
    }

    // Attach makes a new device for every binding, and a relinquished one (or one under a dm table) stays when
    // its last holder closes it; remove deletes those in production. This test process marks what it binds in a
    // run directory of its own (TestRunDirectory), so every marked device that is free now is one a test made.
    // LOOP_CTL_REMOVE refuses (EBUSY) a device anybody has open or bound: another test's is never hit.
    private static void DeleteCreatedDevices() => LoopPool.Reclaim(int.MaxValue);
}
