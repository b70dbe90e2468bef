using System.IO;
using BlockDiskseq.DeviceMapper;
using BlockDiskseq.Devices;
using BlockDiskseq.Native;
using Xunit;

namespace BlockDiskseq.Tests.DeviceMapper;

/// <summary>The throwaway COW file, on this machine's real filesystem.</summary>
public sealed class ThrowawayCowTests : System.IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("block-diskseq-cow-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void IsAnUnnamedFileOfTheSizeAsked()
    {
        using (OpenedTarget cow = ThrowawayCow.Create(dir, 64 << 20))
        {
            Assert.Equal(TargetKind.File, cow.Kind);
            Assert.Equal(64UL << 20, cow.Size);
            Assert.Empty(Directory.GetFileSystemEntries(dir));   // never had a name
            Assert.Equal(0x180u, cow.StMode & 0x1ffu);           // 0600
            Assert.False(cow.Fd.IsInvalid);
        }
        Assert.Empty(Directory.GetFileSystemEntries(dir));
    }

    [Fact]
    public unsafe void IsWritableAndSparse()
    {
        using OpenedTarget cow = ThrowawayCow.Create(dir, 1UL << 30);
        byte[] data = { 1, 2, 3 };
        using (var handle = new Microsoft.Win32.SafeHandles.SafeFileHandle(cow.Fd.DangerousGetHandle(), ownsHandle: false))
            System.IO.RandomAccess.Write(handle, data, 512L << 20);
        LibC.statx_t st;
        Assert.Equal(0, LibC.statx(cow.Fd, "", LibC.AT_EMPTY_PATH, LibC.STATX_BASIC_STATS, &st));
        Assert.Equal(1UL << 30, st.stx_size);
        Assert.True(st.stx_blocks * 512 < 1 << 20, $"{st.stx_blocks} blocks allocated for one small write");
    }

    [Fact]
    public void AMissingDirectoryIsNamedInTheError()
    {
        var e = Assert.Throws<NativeException>(() => ThrowawayCow.Create(Path.Combine(dir, "missing"), 1 << 20));
        Assert.Equal(LibC.ENOENT, e.Errno);
        Assert.Equal($"open(O_TMPFILE) on {dir}/missing: No such file or directory (ENOENT)", e.Message);
    }

    [Fact]
    public void DirectoryComesFromTheEnvironment()
    {
        Assert.Equal("BLOCK_DISKSEQ_COWDIR", ThrowawayCow.DirectoryVariable);
        Assert.Equal(System.Environment.GetEnvironmentVariable("BLOCK_DISKSEQ_COWDIR") is { Length: > 0 } set ? set : "/var/tmp",
            ThrowawayCow.Directory);
    }
}
