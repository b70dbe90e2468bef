using System.Runtime.CompilerServices;
using BlockDiskseq.Native;
using Xunit;

namespace BlockDiskseq.Tests.DeviceMapper;

/// <summary>The hand-written &lt;linux/dm-ioctl.h&gt; layouts, offset by offset (x86-64 and arm64 agree).</summary>
public unsafe class DmIoctlLayoutTests
{
    private struct AlignProbe
    {
        public byte Before;
        public LibC.dm_ioctl Ioctl;
    }

    [Fact]
    public void DmIoctlIs312BytesAligned8()
    {
        Assert.Equal(312, sizeof(LibC.dm_ioctl));
        Assert.Equal(312, Unsafe.SizeOf<LibC.dm_ioctl>());
        AlignProbe probe = default;
        Assert.Equal(8, (byte*)&probe.Ioctl - (byte*)&probe);
    }

    [Fact]
    public void DmIoctlOffsetsMatchTheHeader()
    {
        LibC.dm_ioctl value = default;
        LibC.dm_ioctl* p = &value;
        byte* b = (byte*)p;
        Assert.Equal(0, (byte*)p->version - b);
        Assert.Equal(12, (byte*)&p->data_size - b);
        Assert.Equal(16, (byte*)&p->data_start - b);
        Assert.Equal(20, (byte*)&p->target_count - b);
        Assert.Equal(24, (byte*)&p->open_count - b);
        Assert.Equal(28, (byte*)&p->flags - b);
        Assert.Equal(32, (byte*)&p->event_nr - b);
        Assert.Equal(36, (byte*)&p->padding - b);
        Assert.Equal(36, (byte*)&p->diskseq_low - b);
        Assert.Equal(40, (byte*)&p->dev - b);
        Assert.Equal(48, p->name - b);
        Assert.Equal(176, p->uuid - b);
        Assert.Equal(305, p->data - b);
        // The series: static_assert(offsetof(diskseq_high) == offsetof(data) + 3).
        Assert.Equal(305 + 3, (byte*)&p->diskseq_high - b);
    }

    [Fact]
    public void DiskseqLowSharesThePaddingWord()
    {
        LibC.dm_ioctl value = default;
        value.diskseq_low = 0x11223344;
        Assert.Equal(0x11223344u, value.padding);
    }

    [Fact]
    public void DiskseqHighIsTheLastFourBytesOfData()
    {
        LibC.dm_ioctl value = default;
        value.diskseq_high = 0xAABBCCDD;
        Assert.Equal(new byte[] { 0, 0, 0, 0xDD, 0xCC, 0xBB, 0xAA }, new System.Span<byte>(value.data, 7).ToArray());
    }

    [Fact]
    public void TargetSpecIs40BytesWithTypeAt24()
    {
        Assert.Equal(40, sizeof(LibC.dm_target_spec));
        LibC.dm_target_spec value = default;
        byte* b = (byte*)&value;
        Assert.Equal(0, (byte*)&value.sector_start - b);
        Assert.Equal(8, (byte*)&value.length - b);
        Assert.Equal(16, (byte*)&value.status - b);
        Assert.Equal(20, (byte*)&value.next - b);
        Assert.Equal(24, value.target_type - b);
    }

    [Fact]
    public void NameListNameFollowsNext()
    {
        LibC.dm_name_list value = default;
        byte* b = (byte*)&value;
        Assert.Equal(8, (byte*)&value.next - b);
        Assert.Equal(LibC.offsetof_dm_name_list_name, (int)((byte*)&value.next - b) + sizeof(uint));
        Assert.Equal(16, sizeof(LibC.dm_name_list));   // as C's sizeof: padded to the u64's alignment
    }

    [Theory]
    [InlineData(LibC.DM_VERSION_CMD, 0xC138FD00u)]
    [InlineData(LibC.DM_LIST_DEVICES_CMD, 0xC138FD02u)]
    [InlineData(LibC.DM_DEV_CREATE_CMD, 0xC138FD03u)]
    [InlineData(LibC.DM_DEV_REMOVE_CMD, 0xC138FD04u)]
    [InlineData(LibC.DM_DEV_SUSPEND_CMD, 0xC138FD06u)]
    [InlineData(LibC.DM_DEV_STATUS_CMD, 0xC138FD07u)]
    [InlineData(LibC.DM_TABLE_LOAD_CMD, 0xC138FD09u)]
    public void IoctlNumbersAreIowrOfTheStruct(uint cmd, uint expected)
    {
        Assert.Equal(expected, LibC._IOWR(LibC.DM_IOCTL, cmd, (uint)sizeof(LibC.dm_ioctl)));
    }

    [Fact]
    public void NamedIoctlNumbersMatchTheirCommands()
    {
        Assert.Equal(LibC.DM_VERSION, LibC._IOWR(LibC.DM_IOCTL, LibC.DM_VERSION_CMD, 312));
        Assert.Equal(LibC.DM_LIST_DEVICES, LibC._IOWR(LibC.DM_IOCTL, LibC.DM_LIST_DEVICES_CMD, 312));
        Assert.Equal(LibC.DM_DEV_CREATE, LibC._IOWR(LibC.DM_IOCTL, LibC.DM_DEV_CREATE_CMD, 312));
        Assert.Equal(LibC.DM_DEV_REMOVE, LibC._IOWR(LibC.DM_IOCTL, LibC.DM_DEV_REMOVE_CMD, 312));
        Assert.Equal(LibC.DM_DEV_SUSPEND, LibC._IOWR(LibC.DM_IOCTL, LibC.DM_DEV_SUSPEND_CMD, 312));
        Assert.Equal(LibC.DM_DEV_STATUS, LibC._IOWR(LibC.DM_IOCTL, LibC.DM_DEV_STATUS_CMD, 312));
        Assert.Equal(LibC.DM_TABLE_LOAD, LibC._IOWR(LibC.DM_IOCTL, LibC.DM_TABLE_LOAD_CMD, 312));
    }

    [Fact]
    public void IowrAgreesWithAnIoctlNumberDefinedElsewhere()
    {
        // BLKGETDISKSEQ = _IOR(0x12, 128, __u64) = 0x80081280; _IOWR differs only in the direction bit 30.
        Assert.Equal((uint)LibC.BLKGETDISKSEQ | (1u << 30), LibC._IOWR(0x12, 128, 8));
    }
}
