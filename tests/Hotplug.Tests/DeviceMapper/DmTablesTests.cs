using BlockDiskseq.DeviceMapper;
using BlockDiskseq.Devices;
using BlockDiskseq.Reporting;
using Xunit;

namespace BlockDiskseq.Tests.DeviceMapper;

/// <summary>Table lines, as `dmsetup table` would print them; devices in decimal (hex would be 103:a here).</summary>
public class DmTablesTests
{
    private static readonly DeviceNumber Origin = new(7, 3);
    private static readonly DeviceNumber Cow = new(259, 10);

    [Fact]
    public void PersistentSnapshotLine()
    {
        Assert.Equal("0 2097152 snapshot 7:3 259:10 P 8", DmTables.Snapshot(2097152, Origin, Cow, persistent: true, 8).ToString());
    }

    [Fact]
    public void TransientSnapshotLine()
    {
        Assert.Equal("0 409600 snapshot 7:3 259:10 N 16", DmTables.Snapshot(409600, Origin, Cow, persistent: false, 16).ToString());
    }

    [Fact]
    public void SliceLineIsLinearAtTheOffset()
    {
        var spec = new SliceSpec(new DiskTarget("/srv/disk.img"), 2048, 4096);
        Assert.Equal("0 4096 linear 259:10 2048", DmTables.Slice(spec, Cow, deviceSectors: 6144).ToString());
    }

    [Theory]
    [InlineData(2048UL, 4097UL, 6144UL)]   // one sector past the end
    [InlineData(6144UL, 1UL, 6144UL)]      // starts at the end
    [InlineData(ulong.MaxValue, 1UL, 6144UL)]
    public void SlicesOutsideTheDeviceAreRefused(ulong offset, ulong sectors, ulong deviceSectors)
    {
        var spec = new SliceSpec(new DiskTarget("/srv/disk.img"), offset, sectors);
        var e = Assert.Throws<HotplugFailure>(() => DmTables.Slice(spec, Cow, deviceSectors));
        Assert.Contains($"/srv/disk.img, which has {deviceSectors} sectors", e.Message);
    }

    [Theory]
    [InlineData(null, 1001UL, 1008UL * 512)]              // rounded up to whole 8-sector chunks
    [InlineData(null, 2048UL, 2048UL * 512)]
    [InlineData(1048576UL, 999999UL, 1048576UL)]          // as asked
    public void ThrowawayCowSize(ulong? asked, ulong originSectors, ulong expected)
    {
        var spec = new ThrowawaySnapshotSpec(new DiskTarget("/a"), asked);
        Assert.Equal(expected, DmTables.ThrowawayCowBytes(spec, originSectors));
    }
}
