using BlockDiskseq.Devices;
using BlockDiskseq.Reporting;
using Xunit;

namespace BlockDiskseq.Tests.Devices;

public class AccessModesTests
{
    [Theory]
    [InlineData("r", nameof(AccessMode.Read))]
    [InlineData("ro", nameof(AccessMode.Read))]
    [InlineData("w", nameof(AccessMode.Write))]
    [InlineData("rw", nameof(AccessMode.Write))]
    [InlineData("w!", nameof(AccessMode.WriteUnchecked))]
    [InlineData("rw!", nameof(AccessMode.WriteUnchecked))]
    public void AcceptsTheSixSpellings(string text, string expected)
        => Assert.Equal(expected, AccessModes.Parse(text).ToString());

    [Theory]
    [InlineData("")]
    [InlineData("r!")]      // canonicalise_mode would take it as r; a "!" without "w" means nothing
    [InlineData("W")]
    [InlineData("R")]
    [InlineData("wr")]
    [InlineData("w!!")]
    [InlineData("!w")]
    [InlineData("rw ")]
    [InlineData(" r")]
    [InlineData("r\n")]
    [InlineData("read")]
    [InlineData("x")]
    public void RefusesAnythingElseNamingTheValue(string text)
    {
        var e = Assert.Throws<HotplugFailure>(() => AccessModes.Parse(text));
        Assert.Equal(HotplugFailure.StatusError, e.Status);
        string reported = FailureReport.Describe(e).Message;
        Assert.Contains(Printable.Line(Printable.Quote(text)), reported);
        Assert.DoesNotContain('\n', reported);
    }

    [Fact]
    public void MessageEscapesControlCharacters()
    {
        var e = Assert.Throws<HotplugFailure>(() => AccessModes.Parse("w\u0001\n"));
        Assert.Equal("mode \"w\\x01\\n\" is not one of r, w, w!, ro, rw, rw!", FailureReport.Describe(e).Message);
    }

    [Fact]
    public void OnlyReadIsNotWritable()
    {
        Assert.False(AccessMode.Read.IsWritable());
        Assert.True(AccessMode.Write.IsWritable());
        Assert.True(AccessMode.WriteUnchecked.IsWritable());
    }
}
