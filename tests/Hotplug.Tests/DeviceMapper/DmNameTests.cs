using System;
using BlockDiskseq.DeviceMapper;
using Xunit;

namespace BlockDiskseq.Tests.DeviceMapper;

public class DmNameTests
{
    [Fact]
    public void NameAndUuidFollowTheScheme()
    {
        DmName name = DmName.Create(7, 51712, "snap");
        Assert.Equal("block-diskseq-7-51712-snap", name.ToString());
        string uuid = name.NewUuid();
        Assert.Matches("^BLOCK-DISKSEQ-7-51712-snap-[0-9a-f]{16}$", uuid);
        Assert.NotEqual(uuid, name.NewUuid());
        Assert.True(name.OwnsUuid(uuid));
    }

    [Theory]
    [InlineData("BLOCK-DISKSEQ-7-51712-snap-0123456789ABCDEF")]    // upper-case hex is not what we write
    [InlineData("BLOCK-DISKSEQ-7-51712-snap-0123456789abcde")]     // 15 digits
    [InlineData("BLOCK-DISKSEQ-7-51712-slice-0123456789abcdef")]   // another layer
    [InlineData("BLOCK-DISKSEQ-17-51712-snap-0123456789abcdef")]   // another domain
    [InlineData("LVM-7-51712-snap-0123456789abcdef")]
    [InlineData("")]
    [InlineData(null)]
    public void ForeignUuidsAreNotOurs(string? uuid)
    {
        Assert.False(DmName.Create(7, 51712, "snap").OwnsUuid(uuid));
    }

    [Fact]
    public void ParseRoundTrips()
    {
        Assert.True(DmName.TryParse("block-diskseq-0-768-slice", out DmName name));
        Assert.Equal(new DmName(0, 768, "slice"), name);
        Assert.Equal("block-diskseq-0-768-slice", name.ToString());
    }

    [Theory]
    [InlineData("block-diskseq-07-768-slice")]     // leading zero: one spelling per name
    [InlineData("block-diskseq--1-768-slice")]
    [InlineData("block-diskseq-1-768")]
    [InlineData("block-diskseq-1-768-slice-x")]
    [InlineData("block-diskseq-1-768-Slice")]
    [InlineData("block-diskseq-1-768-2nd")]
    [InlineData("block-diskseq-4294967296-768-slice")]
    [InlineData("vg-lv")]
    public void OtherNamesDoNotParse(string text)
    {
        Assert.False(DmName.TryParse(text, out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("Snap")]
    [InlineData("1st")]
    [InlineData("a-b")]
    [InlineData("abcdefghijklmnopq")]   // 17 characters
    public void BadLayersAreRefused(string layer)
    {
        Assert.Throws<ArgumentException>(() => DmName.Create(1, 2, layer));
    }

    [Theory]
    [InlineData("control")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("with space")]
    [InlineData("")]
    public void KernelRefusedNamesAreRefusedFirst(string name)
    {
        Assert.Throws<ArgumentException>(() => DmIdentifiers.CheckName(name));
    }

    [Fact]
    public void NamesMustFitTheField()
    {
        Assert.Equal(new string('a', 127), DmIdentifiers.CheckName(new string('a', 127)));
        Assert.Throws<ArgumentException>(() => DmIdentifiers.CheckName(new string('a', 128)));
        Assert.Equal(new string('u', 128), DmIdentifiers.CheckUuid(new string('u', 128)));
        Assert.Throws<ArgumentException>(() => DmIdentifiers.CheckUuid(new string('u', 129)));
    }
}
