using System;
using System.IO;
using BlockDiskseq.Devices;
using BlockDiskseq.Reporting;
using BlockDiskseq.Sharing;
using BlockDiskseq.TestSupport;
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

        var e = Assert.Throws<HotplugFailure>(() => BackingLock.Acquire(RunDir, 1, 2, Short));
        Assert.StartsWith($"lock directory BLOCK_DISKSEQ_RUNDIR: {RunDir} is a symbolic link, not a directory: refusing to use it", e.Message);
    }

    [Theory]
    [InlineData(UnixFileMode.OtherWrite, "0707")]
    [InlineData(UnixFileMode.GroupWrite, "0730")]
    public void RefusesADirectoryOthersCanWrite(UnixFileMode extra, string shown)
    {
        Directory.CreateDirectory(RunDir);
        UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | extra
            | (extra == UnixFileMode.GroupWrite ? UnixFileMode.GroupExecute : UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        File.SetUnixFileMode(RunDir, mode);

        var e = Assert.Throws<HotplugFailure>(() => BackingLock.Acquire(RunDir, 1, 2, Short));
        Assert.Contains($"{RunDir} can be written by group or others (mode {shown}): refusing to use it", e.Message);
    }

    [Fact]
    public void AcceptsAnExistingDirectoryOnlyWeCanWrite()
    {
        Directory.CreateDirectory(RunDir);
        File.SetUnixFileMode(RunDir, (UnixFileMode)0x1ed); // 0755, as systemd-tmpfiles or an admin may make it

        using BackingLock held = BackingLock.Acquire(RunDir, 1, 2, Short);
        Assert.True(File.Exists(held.Path));
    }

    [RootFact]
    public void RefusesADirectoryAnotherUserOwns()
    {
        Directory.CreateDirectory(RunDir);
        Assert.Equal(0, TestNative.chown(RunDir, 65534, 65534));

        var e = Assert.Throws<HotplugFailure>(() => BackingLock.Acquire(RunDir, 1, 2, Short));
        Assert.Contains($"{RunDir} is owned by uid 65534, not by uid 0 (the user we run as): refusing to use it", e.Message);
    }

    [Fact]
    public void RefusesASymlinkInPlaceOfALockFile()
    {
        string lockFile = LockFileFor(1, 2);
        string target = Path.Combine(parent, "precious");
        File.WriteAllText(target, "keep");
        File.CreateSymbolicLink(lockFile, target);

        var e = Assert.Throws<HotplugFailure>(() => BackingLock.Acquire(RunDir, 1, 2, Short));
        Assert.Contains($"{lockFile} is a symbolic link, not a regular file", e.Message);
    }

    [Fact]
    public void RefusesAFifoInPlaceOfALockFileWithoutOpeningIt()
    {
        string lockFile = LockFileFor(1, 2);
        Assert.Equal(0, TestNative.mkfifo(lockFile, 0x180));

        var e = Assert.Throws<HotplugFailure>(() => BackingLock.Acquire(RunDir, 1, 2, Short));
        Assert.Contains($"{lockFile} is a FIFO, not a regular file", e.Message);
    }

    [Fact]
    public void RefusesALockFileWithASecondName()
    {
        string lockFile = LockFileFor(1, 2);
        string other = Path.Combine(parent, "other-name");
        File.WriteAllText(other, "");
        Assert.Equal(0, TestNative.link(other, lockFile));

        var e = Assert.Throws<HotplugFailure>(() => BackingLock.Acquire(RunDir, 1, 2, Short));
        Assert.Contains($"{lockFile} is owned by uid", e.Message);
        Assert.Contains("with 2 links", e.Message);
    }

    /// <summary>The lock file's path for the object, after the run directory exists; the file itself removed.</summary>
    private string LockFileFor(ulong stDev, ulong stIno)
    {
        string path;
        using (BackingLock first = BackingLock.Acquire(RunDir, stDev, stIno, Short))
            path = first.Path;
        File.Delete(path);
        return path;
    }
}
