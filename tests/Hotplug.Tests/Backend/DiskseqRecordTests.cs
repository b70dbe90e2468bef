using System.Linq;
using BlockDiskseq.Backend;
using BlockDiskseq.Devices;
using Xunit;

namespace BlockDiskseq.Tests.Backend;

public class DiskseqRecordTests
{
    [Fact]
    public void RoundTripsLayersInCreationOrder()
    {
        var record = new DiskseqRecord([
            new CreatedLayer(LayerKind.Loop, new DeviceNumber(7, 3), 0x2f),
            new CreatedLayer(LayerKind.Loop, new DeviceNumber(7, 0x1f), 0xffffffffffffffff),
        ]);
        Assert.Equal("loop 7:3 2f;loop 7:1f ffffffffffffffff", record.ToString());
        Assert.True(DiskseqRecord.TryParse(record.ToString(), out DiskseqRecord parsed));
        Assert.Equal(record.Layers, parsed.Layers);
        Assert.Equal(new DeviceNumber(7, 0x1f), parsed.Top!.Value.Device);
    }

    [Fact]
    public void DeviceMapperStackListsLoopsThenTheDmDevice()
    {
        Assert.True(DiskseqRecord.TryParse("loop 7:3 2f;loop 7:4 30;dm fd:1 31", out DiskseqRecord parsed));
        Assert.Equal([LayerKind.Loop, LayerKind.Loop, LayerKind.DeviceMapper], parsed.Layers.Select(l => l.Kind));
        Assert.Equal(new CreatedLayer(LayerKind.DeviceMapper, new DeviceNumber(0xfd, 1), 0x31), parsed.Top);
        Assert.Equal("loop 7:3 2f;loop 7:4 30;dm fd:1 31", parsed.ToString());
    }

    [Fact]
    public void NothingCreatedIsSpelledNone()
    {
        Assert.Equal("none", DiskseqRecord.Empty.ToString());
        Assert.True(DiskseqRecord.TryParse("none", out DiskseqRecord parsed));
        Assert.Empty(parsed.Layers);
        Assert.Null(parsed.Top);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("None")]
    [InlineData("loop")]
    [InlineData("loop 7:3")]
    [InlineData("loop 7:3 2f extra")]
    [InlineData("loop  7:3 2f")]
    [InlineData(" loop 7:3 2f")]
    [InlineData("loop 7:3 2f ")]
    [InlineData("loop 7:3 2f\n")]
    [InlineData("loop 7:3 2f;")]
    [InlineData(";loop 7:3 2f")]
    [InlineData("loop 7:3 2f;;loop 7:4 30")]
    [InlineData("loop 7:3 2F")]
    [InlineData("loop 7:3 02f")]
    [InlineData("loop 7:3 0")]
    [InlineData("loop 7:3 0x2f")]
    [InlineData("loop 7:3 -2f")]
    [InlineData("loop 7:3 10000000000000000")]
    [InlineData("loop 07:3 2f")]
    [InlineData("loop 7:03 2f")]
    [InlineData("loop 7 2f")]
    [InlineData("loop 1000:3 2f")]
    [InlineData("Loop 7:3 2f")]
    [InlineData("dmx 7:3 2f")]
    [InlineData("dm fd:1 31 block-diskseq-1-768-snap")]
    [InlineData("loop\t7:3\t2f")]
    [InlineData("none;loop 7:3 2f")]
    [InlineData("loop 7:3 2f\0")]
    public void RefusesAnythingItDoesNotWrite(string? text)
        => Assert.False(DiskseqRecord.TryParse(text, out _));
}
