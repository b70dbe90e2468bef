using System;
using System.IO;
using BlockDiskseq.Devices;
using BlockDiskseq.Reporting;
using BlockDiskseq.Sharing;
using Xunit;

namespace BlockDiskseq.Tests.Sharing;

public sealed class BackingLockTests : IDisposable
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(50);
    private readonly string parent = Directory.CreateTempSubdirectory("block-diskseq-locks-").FullName;
    private string RunDir => Path.Combine(parent, "run");

    public void Dispose() => Directory.Delete(parent, recursive: true);

    [Fact]
    public void CreatesAPrivateDirectoryAndAFileNamedAfterTheObject()
    {
        using BackingLock held = BackingLock.Acquire(RunDir, new DeviceNumber(0xfe, 1).ToDevT(), 0x1234, Long);

        Assert.Equal(Path.Combine(RunDir, "fe:1-1234.lock"), held.Path);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(RunDir));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(held.Path));
    }

    [Fact]
    public void ASecondHolderWaitsAndTimesOutNamingTheLock()
    {
        using BackingLock held = BackingLock.Acquire(RunDir, 1, 2, Long);

        var e = Assert.Throws<HotplugFailure>(() => BackingLock.Acquire(RunDir, 1, 2, Short));
        Assert.Equal(
            $"timed out after 0.05 s waiting for {held.Path}: another hotplug script is using the same backing object",
            e.Message);
    }

    [Fact]
    public void ReleasingLetsTheNextHolderInAndKeepsTheFile()
    {
        string path;
        using (BackingLock first = BackingLock.Acquire(RunDir, 1, 2, Long))
            path = first.Path;

        Assert.True(File.Exists(path));
        using BackingLock second = BackingLock.Acquire(RunDir, 1, 2, Short);
        Assert.Equal(path, second.Path);
    }

    [Fact]
    public void OtherObjectsDoNotWait()
    {
        using BackingLock held = BackingLock.Acquire(RunDir, 1, 2, Long);
        using BackingLock otherInode = BackingLock.Acquire(RunDir, 1, 3, Short);
        using BackingLock otherDevice = BackingLock.Acquire(RunDir, 2, 2, Short);
        Assert.NotEqual(otherInode.Path, otherDevice.Path);
    }

    [Fact]
    public void RefusesASymlinkedRunDirectory()
    {
        Directory.CreateDirectory(Path.Combine(parent, "elsewhere"));
        File.CreateSymbolicLink(RunDir, Path.Combine(parent, "elsewhere"));

        var e = Assert.Throws<BlockDiskseq.Native.NativeException>(() => BackingLock.Acquire(RunDir, 1, 2, Short));
        // O_DIRECTORY|O_NOFOLLOW on a symlink: the link itself is not a directory.
        Assert.Equal(BlockDiskseq.Native.LibC.ENOTDIR, e.Errno);
    }
}
