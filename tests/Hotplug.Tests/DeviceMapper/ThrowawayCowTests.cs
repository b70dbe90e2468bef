using System.IO;
using BlockDiskseq.DeviceMapper;
using BlockDiskseq.Devices;
using BlockDiskseq.Native;
using BlockDiskseq.Reporting;
using BlockDiskseq.Tests.Integration;
using BlockDiskseq.TestSupport;
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

    /// <summary>Reserved at add: every block is allocated, so the guest's writes can never run dom0's filesystem full.</summary>
    [Fact]
    public unsafe void IsWritableAndItsSpaceIsReserved()
    {
        using OpenedTarget cow = ThrowawayCow.Create(dir, 64UL << 20);
        byte[] data = { 1, 2, 3 };
        using (var handle = new Microsoft.Win32.SafeHandles.SafeFileHandle(cow.Fd.DangerousGetHandle(), ownsHandle: false))
            System.IO.RandomAccess.Write(handle, data, 32L << 20);
        LibC.statx_t st;
        Assert.Equal(0, LibC.statx(cow.Fd, "", LibC.AT_EMPTY_PATH, LibC.STATX_BASIC_STATS, &st));
        Assert.Equal(64UL << 20, st.stx_size);
        Assert.True(st.stx_blocks * 512 >= 64UL << 20, $"only {st.stx_blocks} blocks allocated for a 64 MiB COW");
    }

    /// <summary>A COW that does not fit fails at add with ENOSPC, named; a tmpfs of 8 MiB stands for a full /var.</summary>
    [RootFact]
    public void ACowThatDoesNotFitFailsWithENOSPC()
    {
        string small = Path.Combine(dir, "small");
        Directory.CreateDirectory(small);
        Tools.Run("mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "block-diskseq-test-cow", small);
        try
        {
            var e = Assert.Throws<HotplugFailure>(() => ThrowawayCow.Create(small, 64UL << 20));
            Assert.StartsWith($"no space for the throwaway snapshot's COW: {small} cannot hold 64 MiB more (fallocate on a throwaway COW file in {small}: No space left on device (ENOSPC));", e.Message);
            Assert.Contains("BLOCK_DISKSEQ_COWDIR", e.Message);
            using OpenedTarget fits = ThrowawayCow.Create(small, 4UL << 20); // the failed one left nothing behind
        }
        finally
        {
            Tools.Run("umount", small);
        }
    }

    [Fact]
    public void AMissingDirectoryIsNamedInTheError()
    {
        var e = Assert.Throws<NativeException>(() => ThrowawayCow.Create(Path.Combine(dir, "missing"), 1 << 20));
        Assert.Equal(LibC.ENOENT, e.Errno);
        Assert.Equal($"open(O_TMPFILE) on {dir}/missing: No such file or directory (ENOENT)", e.Message);
    }
}
