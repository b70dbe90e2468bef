using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Text;
using BlockDiskseq.DeviceMapper;
using BlockDiskseq.Devices;
using BlockDiskseq.Reporting;
using Xunit;

namespace BlockDiskseq.Tests.DeviceMapper;

/// <summary>Replies fabricated byte by byte, as the kernel would write them.</summary>
public class DmReplyTests
{
    private static byte[] Reply(uint major, uint dataSize = 312, int length = 312)
    {
        byte[] b = new byte[length];
        Put32(b, 0, major);
        Put32(b, 4, 48);
        Put32(b, 12, dataSize);
        return b;
    }

    [Theory]
    [InlineData(0xfd00u, 253u, 0u)]
    [InlineData(0x0701u, 7u, 1u)]
    [InlineData(0xfdffu, 253u, 255u)]
    [InlineData(0x10fd00u, 253u, 256u)]       // minor bits 8+ move to bits 20+
    [InlineData(0x10fd2au, 253u, 298u)]
    [InlineData(0xfff00u, 0xfffu, 0u)]
    [InlineData(0xfff000ffu, 0u, 0xfffffu)]
    [InlineData(0x12345678u, 0x456u, 0x12378u)]
    public void HugeDevDecodesAndEncodes(uint dev, uint major, uint minor)
    {
        Assert.Equal(new DeviceNumber(major, minor), HugeDev.Decode(dev));
        Assert.Equal(dev, HugeDev.Encode(new DeviceNumber(major, minor)));
    }

    [Fact]
    public void DevWiderThanHugeEncodeDevFails()
    {
        byte[] b = Reply(5);
        Put64(b, 40, 0x1_0000_fd00);
        Assert.Throws<HotplugFailure>(() => DmReply.ParseStatus(b, DmAbi.Strict, "ioctl(DM_DEV_STATUS)"));
    }

    [Fact]
    public void HugeDevRefusesNumbersTheKernelCannotHold()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => HugeDev.Encode(new DeviceNumber(0x1000, 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => HugeDev.Encode(new DeviceNumber(1, 0x100000)));
        Assert.Throws<ArgumentOutOfRangeException>(() => HugeDev.Encode(new DeviceNumber(0, 0)));
    }

    [Fact]
    public void StrictStatusCarriesDiskseqFromBothHalves()
    {
        byte[] b = Reply(5);
        Put32(b, 20, 1);               // target_count
        Put32(b, 24, 2);               // open_count
        Put32(b, 28, (1u << 5) | (1u << 17) | 1u);   // ACTIVE_PRESENT | DEFERRED_REMOVE | READONLY
        Put32(b, 32, 9);               // event_nr
        Put32(b, 36, 0x89abcdef);      // diskseq_low
        Put64(b, 40, 0x10fd2a);        // 253:298
        Encoding.ASCII.GetBytes("block-diskseq-1-768-slice").CopyTo(b, 48);
        Encoding.ASCII.GetBytes("BLOCK-DISKSEQ-1-768-slice-00000000000000aa").CopyTo(b, 176);
        Put32(b, 308, 0x1);            // diskseq_high
        DmDeviceStatus status = DmReply.ParseStatus(b, DmAbi.Strict, "ioctl(DM_DEV_STATUS)");
        Assert.Equal("block-diskseq-1-768-slice", status.Name);
        Assert.Equal("BLOCK-DISKSEQ-1-768-slice-00000000000000aa", status.Uuid);
        Assert.Equal(new DeviceNumber(253, 298), status.Device);
        Assert.Equal(0x1_89ab_cdefUL, status.Diskseq);
        Assert.Equal(2, status.OpenCount);
        Assert.Equal(9u, status.EventNr);
        Assert.Equal(1u, status.TargetCount);
        Assert.True(status.ActiveTablePresent);
        Assert.True(status.DeferredRemove);
        Assert.True(status.ReadOnly);
        Assert.False(status.Suspended);
    }

    [Fact]
    public void LegacyStatusIgnoresTheBytesAKernelDidNotWrite()
    {
        // A legacy kernel copies back 305 bytes: whatever sat in 305..311 (and the padding word) is not a diskseq.
        byte[] b = Reply(4, dataSize: 305);
        Put32(b, 36, 0x1234);
        Put32(b, 308, 0x5678);
        Put64(b, 40, 0xfd03);
        Assert.Equal(0UL, DmReply.ParseStatus(b, DmAbi.Legacy, "ioctl(DM_DEV_STATUS)").Diskseq);
        Assert.Equal(new DeviceNumber(253, 3), DmReply.ParseStatus(b, DmAbi.Legacy, "ioctl(DM_DEV_STATUS)").Device);
    }

    [Theory]
    [InlineData(4u, 312u, true)]    // the kernel answered in another ABI
    [InlineData(5u, 305u, true)]    // strict replies are 312 bytes: diskseq_high would be missing
    [InlineData(4u, 304u, false)]
    [InlineData(4u, 400u, false)]   // more than the buffer
    public void MalformedHeadersFail(uint major, uint dataSize, bool strict)
    {
        DmAbi abi = strict ? DmAbi.Strict : DmAbi.Legacy;
        var e = Assert.Throws<HotplugFailure>(() => DmReply.ParseStatus(Reply(major, dataSize), abi, "ioctl(DM_DEV_STATUS)"));
        Assert.StartsWith("ioctl(DM_DEV_STATUS): malformed reply from the kernel: ", e.Message);
    }

    [Fact]
    public void UnterminatedNameFails()
    {
        byte[] b = Reply(5);
        b.AsSpan(48, 128).Fill((byte)'a');
        Assert.Contains("name not NUL-terminated", Assert.Throws<HotplugFailure>(() => DmReply.ParseStatus(b, DmAbi.Strict, "x")).Message);
    }

    /// <summary>Builds a LIST_DEVICES reply the way list_devices() lays it out.</summary>
    private static byte[] NameList(int length, params (ulong Dev, string Name, uint Flags, string? Uuid)[] entries)
    {
        byte[] b = Reply(5, length: length);
        Put32(b, 16, 312);
        int at = 312, previous = -1;
        foreach (var (dev, name, flags, uuid) in entries)
        {
            if (previous >= 0)
                Put32(b, previous + 8, (uint)(at - previous));
            Put64(b, at, dev);
            Encoding.ASCII.GetBytes(name).CopyTo(b, at + 12);
            int words = (at + 12 + name.Length + 1 + 7) & ~7;
            Put32(b, words, 3);
            Put32(b, words + 4, flags);
            int end = words + 8;
            if (uuid is not null)
            {
                Encoding.ASCII.GetBytes(uuid).CopyTo(b, end);
                end = (end + uuid.Length + 1 + 7) & ~7;
            }
            previous = at;
            at = end;
        }
        Put32(b, 12, (uint)at);
        return b;
    }

    [Fact]
    public void NameListChainParses()
    {
        byte[] b = NameList(1024,
            (0xfd00, "a", 1, "LVM-x"),
            (0x10fd05, "block-diskseq-3-51712-snap", 1, "BLOCK-DISKSEQ-3-51712-snap-1234567890abcdef"),
            (0xfd07, "no-uuid", 2, null));
        List<DmListedDevice> list = DmReply.ParseNameList(b, DmAbi.Strict, "ioctl(DM_LIST_DEVICES)");
        Assert.Equal(3, list.Count);
        Assert.Equal(new DmListedDevice("a", new DeviceNumber(253, 0), 3, "LVM-x"), list[0]);
        Assert.Equal(new DmListedDevice("block-diskseq-3-51712-snap", new DeviceNumber(253, 261), 3,
            "BLOCK-DISKSEQ-3-51712-snap-1234567890abcdef"), list[1]);
        Assert.Equal(new DmListedDevice("no-uuid", new DeviceNumber(253, 7), 3, null), list[2]);
        // "a": name at 324, event words at 328, uuid at 336..341, so the next record starts at 344.
        Assert.Equal(32u, BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(312 + 8)));
    }

    [Fact]
    public void EmptyListIsDataSizeEqualToDataStart()
    {
        byte[] b = NameList(1024);
        Assert.Equal(312u, BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(12)));
        Assert.Empty(DmReply.ParseNameList(b, DmAbi.Strict, "ioctl(DM_LIST_DEVICES)"));
    }

    [Fact]
    public void RecordsWithoutEventWordsComeFromOldKernels()
    {
        // Before 4.37 a record was just dev, next, name: the last one ends at data_size.
        byte[] b = Reply(4, length: 512);
        Put32(b, 16, 312);
        Put64(b, 312, 0xfd01);
        Encoding.ASCII.GetBytes("old").CopyTo(b, 324);
        Put32(b, 12, 328);
        Assert.Equal(new DmListedDevice("old", new DeviceNumber(253, 1), 0, null),
            Assert.Single(DmReply.ParseNameList(b, DmAbi.Legacy, "ioctl(DM_LIST_DEVICES)")));
    }

    [Theory]
    [InlineData(4)]     // next not a multiple of 8
    [InlineData(8)]     // smaller than a record
    [InlineData(4096)]  // past data_size
    public void BadNextOffsetsFail(uint next)
    {
        byte[] b = NameList(1024, (0xfd00, "a", 0, null), (0xfd01, "b", 0, null));
        Put32(b, 312 + 8, next);
        Assert.Throws<HotplugFailure>(() => DmReply.ParseNameList(b, DmAbi.Strict, "ioctl(DM_LIST_DEVICES)"));
    }

    [Fact]
    public void UnterminatedUuidFails()
    {
        byte[] b = NameList(1024, (0xfd00, "a", 1, "U"));
        int end = (int)BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(12));
        b.AsSpan(312 + 16 + 8, end - 312 - 24).Fill((byte)'u');
        Assert.Contains("uuid", Assert.Throws<HotplugFailure>(() => DmReply.ParseNameList(b, DmAbi.Strict, "x")).Message);
    }

    [Fact]
    public void BufferFullIsReported()
    {
        byte[] b = Reply(5);
        Assert.False(DmReply.BufferFull(b));
        Put32(b, 28, 1u << 8);
        Assert.True(DmReply.BufferFull(b));
    }

    private static void Put32(byte[] b, int at, uint v) => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(at), v);
    private static void Put64(byte[] b, int at, ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(at), v);
}
