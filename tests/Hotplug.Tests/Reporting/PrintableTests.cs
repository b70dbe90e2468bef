using BlockDiskseq.Reporting;
using Xunit;

namespace BlockDiskseq.Tests.Reporting;

public class PrintableTests
{
    [Theory]
    [InlineData("plain /dev/loop7: ok", "plain /dev/loop7: ok")]
    [InlineData("a\nb", "a\\nb")]
    [InlineData("tab\there\r", "tab\\there\\r")]
    [InlineData("\u001b[31mred", "\\x1b[31mred")]
    [InlineData("del\u007f c1\u0085", "del\\x7f c1\\x85")]
    [InlineData("grüße ✓", "grüße ✓")]
    public void ControlCharactersBecomeVisibleEscapes(string input, string expected)
        => Assert.Equal(expected, Printable.Line(input));

    /// <summary>A quoted value as it is reported: Quote in the message, Line at the boundary.</summary>
    [Theory]
    [InlineData("plain /dev/sdb", "\"plain /dev/sdb\"")]
    [InlineData("a\nb\tc\rd", "\"a\\nb\\tc\\rd\"")]
    [InlineData("nul\0del\u007f", "\"nul\\x00del\\x7f\"")]
    [InlineData("c1\u0085", "\"c1\\x85\"")]
    [InlineData("quote\" back\\", "\"quote\\\" back\\\\\"")]
    [InlineData("ünïcode", "\"ünïcode\"")]
    public void QuotesAndEscapes(string value, string expected) => Assert.Equal(expected, Reported(value));

    [Fact]
    public void MissingValueIsSaidSo() => Assert.Equal("missing", Printable.Quote(null));

    [Fact]
    public void EscapesLoneSurrogatesButKeepsPairs()
    {
        Assert.Equal("\"a\\ud800b\\udc00\"", Reported("a" + (char)0xd800 + "b" + (char)0xdc00));
        Assert.Equal("\"\U0001F600\"", Reported("\U0001F600"));
    }

    [Fact]
    public void CutsLongValues()
    {
        string quoted = Printable.Quote(new string('a', 5000));
        Assert.Equal("\"" + new string('a', Printable.MaxQuotedLength) + "...\"", quoted);
    }

    [Theory]
    [InlineData("", false)]
    [InlineData("/dev/sdb", false)]
    [InlineData("a\0", true)]
    [InlineData("\u001f", true)]
    [InlineData("\u007f", true)]
    [InlineData("\u009f", true)]
    [InlineData("\u00a0", false)]
    public void FindsControlCharacters(string value, bool expected)
        => Assert.Equal(expected, Printable.HasControlCharacter(value));

    private static string Reported(string value) => Printable.Line(Printable.Quote(value));
}
