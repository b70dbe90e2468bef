using System;
using BlockDiskseq.Devices;
using Xunit;

namespace BlockDiskseq.Tests.Devices;

public class DiskSequenceTests
{
    [Theory]
    [InlineData(1UL, "1")]
    [InlineData(0xabcUL, "abc")]
    [InlineData(0x10UL, "10")]
    [InlineData(ulong.MaxValue, "ffffffffffffffff")]
    public void FormatsLowerCaseHexWithoutLeadingZeros(ulong value, string expected)
        => Assert.Equal(expected, DiskSequence.Format(value));

    [Fact]
    public void ZeroIsNotADiskseq() => Assert.Throws<ArgumentOutOfRangeException>(() => DiskSequence.Format(0));

    [Theory]
    [InlineData("1", 1UL)]
    [InlineData("abc", 0xabcUL)]
    [InlineData("ABC", 0xabcUL)]          // blkback's simple_strtoull takes either case
    [InlineData("fFfFfFfFfFfFfFfF", ulong.MaxValue)]
    [InlineData("100", 0x100UL)]
    public void ParsesWhatBlkbackAccepts(string text, ulong expected)
    {
        Assert.True(DiskSequence.TryParse(text, out ulong value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("0")]                     // blkback: "diskseq must not start with '0'"
    [InlineData("01")]
    [InlineData("0x1")]
    [InlineData("+1")]
    [InlineData("-1")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("1\n")]
    [InlineData("1\0")]
    [InlineData("g")]
    [InlineData("1g")]
    [InlineData("10000000000000000")]     // 17 digits: "diskseq too long"
    public void RefusesWhatBlkbackRefuses(string? text)
    {
        Assert.False(DiskSequence.TryParse(text, out ulong value));
        Assert.Equal(0UL, value);
    }

    [Theory]
    [InlineData(1UL)]
    [InlineData(0x80081280UL)]
    [InlineData(ulong.MaxValue)]
    public void RoundTrips(ulong value)
    {
        Assert.True(DiskSequence.TryParse(DiskSequence.Format(value), out ulong parsed));
        Assert.Equal(value, parsed);
    }
}
