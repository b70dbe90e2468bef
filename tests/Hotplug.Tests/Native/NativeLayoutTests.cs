using BlockDiskseq.Native;
using Xunit;

namespace BlockDiskseq.Tests.Native;

/// <summary>Pins the hand-written kernel ABI: struct sizes, field offsets and ioctl numbers.</summary>
public unsafe class NativeLayoutTests
{
    // <asm-generic/ioctl.h>: dir (2 bits) << 30 | size (14 bits) << 16 | type << 8 | nr
    private static uint IOC(uint dir, uint type, uint nr, uint size) => (dir << 30) | (size << 16) | (type << 8) | nr;
    private static uint IOR(uint type, uint nr, uint size) => IOC(2, type, nr, size);
    private static uint IO(uint type, uint nr) => IOC(0, type, nr, 0);

    [Fact]
    public void IoctlNumbers()
    {
        Assert.Equal(LibC.BLKGETDISKSEQ, IOR(0x12, 128, sizeof(ulong)));
        Assert.Equal(0x80081280u, LibC.BLKGETDISKSEQ);
        // <linux/loop.h> spells these as literals in the 'L' (0x4C) range.
        Assert.Equal(LibC.LOOP_SET_FD, IO('L', 0x00));
        Assert.Equal(LibC.LOOP_CLR_FD, IO('L', 0x01));
        Assert.Equal(LibC.LOOP_GET_STATUS64, IO('L', 0x05));
        Assert.Equal(LibC.LOOP_CONFIGURE, IO('L', 0x0A));
        Assert.Equal(LibC.LOOP_CTL_ADD, IO('L', 0x80));
        Assert.Equal(LibC.LOOP_CTL_REMOVE, IO('L', 0x81));
        Assert.Equal(LibC.LOOP_CTL_GET_FREE, IO('L', 0x82));
    }

    /// <summary>&lt;sys/un.h&gt;: a 2-byte family, then 108 bytes of path (sizeof 110, no padding).</summary>
    [Fact]
    public void SockaddrUnLayout()
    {
        Assert.Equal(110, sizeof(LibC.sockaddr_un));
        LibC.sockaddr_un address;
        Assert.Equal(2, (int)((byte*)address.sun_path - (byte*)&address));
        Assert.Equal((0x40, 0x4000, 0x800, 0x80000), (LibC.MSG_DONTWAIT, LibC.MSG_NOSIGNAL, LibC.SOCK_NONBLOCK, LibC.SOCK_CLOEXEC));
    }

    [Fact]
    public void LoopFlags()
    {
        Assert.Equal(1u, LibC.LO_FLAGS_READ_ONLY);
        Assert.Equal(4u, LibC.LO_FLAGS_AUTOCLEAR);
        Assert.Equal(8u, LibC.LO_FLAGS_PARTSCAN);
        Assert.Equal(16u, LibC.LO_FLAGS_DIRECT_IO);
    }

    [Fact]
    public void LoopInfo64Layout()
    {
        Assert.Equal(232, sizeof(LibC.loop_info64));
        LibC.loop_info64 s = default;
        byte* b = (byte*)&s;
        Assert.Equal(0, (byte*)&s.lo_device - b);
        Assert.Equal(8, (byte*)&s.lo_inode - b);
        Assert.Equal(16, (byte*)&s.lo_rdevice - b);
        Assert.Equal(24, (byte*)&s.lo_offset - b);
        Assert.Equal(32, (byte*)&s.lo_sizelimit - b);
        Assert.Equal(40, (byte*)&s.lo_number - b);
        Assert.Equal(44, (byte*)&s.lo_encrypt_type - b);
        Assert.Equal(48, (byte*)&s.lo_encrypt_key_size - b);
        Assert.Equal(52, (byte*)&s.lo_flags - b);
        Assert.Equal(56, s.lo_file_name - b);
        Assert.Equal(120, s.lo_crypt_name - b);
        Assert.Equal(184, s.lo_encrypt_key - b);
        Assert.Equal(216, (byte*)s.lo_init - b);
    }

    [Fact]
    public void LoopConfigLayout()
    {
        Assert.Equal(304, sizeof(LibC.loop_config));
        LibC.loop_config s = default;
        byte* b = (byte*)&s;
        Assert.Equal(0, (byte*)&s.fd - b);
        Assert.Equal(4, (byte*)&s.block_size - b);
        Assert.Equal(8, (byte*)&s.info - b);
        Assert.Equal(8 + 52, (byte*)&s.info.lo_flags - b);
        Assert.Equal(240, (byte*)s.__reserved - b);
    }

    [Fact]
    public void StatxLayout()
    {
        Assert.Equal(256, sizeof(LibC.statx_t));
        LibC.statx_t s = default;
        byte* b = (byte*)&s;
        Assert.Equal(0, (byte*)&s.stx_mask - b);
        Assert.Equal(28, (byte*)&s.stx_mode - b);
        Assert.Equal(32, (byte*)&s.stx_ino - b);
        Assert.Equal(40, (byte*)&s.stx_size - b);
        Assert.Equal(64, (byte*)s.stx_timestamps - b);
        Assert.Equal(128, (byte*)&s.stx_rdev_major - b);
        Assert.Equal(132, (byte*)&s.stx_rdev_minor - b);
        Assert.Equal(136, (byte*)&s.stx_dev_major - b);
        Assert.Equal(140, (byte*)&s.stx_dev_minor - b);
        Assert.Equal(144, (byte*)&s.stx_mnt_id - b);
        Assert.Equal(152, (byte*)s.__spare3 - b);
    }

    [Fact]
    public void FileTypeBits()
    {
        // <linux/stat.h> octal values
        Assert.Equal(0xf000u, LibC.S_IFMT);     // 0170000
        Assert.Equal(0x6000u, LibC.S_IFBLK);    // 0060000
        Assert.Equal(0x8000u, LibC.S_IFREG);    // 0100000
        Assert.Equal(0xc000u, LibC.S_IFSOCK);   // 0140000
        Assert.Equal(0x1000u, LibC.S_IFIFO);    // 0010000
        Assert.Equal(0x92u, LibC.S_IWUGO);      // 0222
    }
}
