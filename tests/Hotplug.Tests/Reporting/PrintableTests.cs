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

    /// <summary>
    /// Issue 21, item 10: characters that reorder, hide or break a line without being seen (Unicode Cf, Zl,
    /// Zp) are escaped like control characters; ordinary non-ASCII text is not.
    /// </summary>
    [Theory]
    [InlineData("evil\u202egmi.exe", "evil\\u202egmi.exe")]           // RIGHT-TO-LEFT OVERRIDE
    [InlineData("a\u202ab\u202bc\u202cd\u202de", "a\\u202ab\\u202bc\\u202cd\\u202de")]
    [InlineData("\u2066\u2067\u2068\u2069", "\\u2066\\u2067\\u2068\\u2069")] // the isolates
    [InlineData("zero\u200bwidth\u200c\u200d\u200e\u200f", "zero\\u200bwidth\\u200c\\u200d\\u200e\\u200f")]
    [InlineData("\ufeffbom", "\\ufeffbom")]
    [InlineData("soft\u00adhyphen", "soft\\xadhyphen")]
    [InlineData("line\u2028para\u2029end", "line\\u2028para\\u2029end")]
    [InlineData("tag\U000E0041", "tag\\U000e0041")]                    // TAG LATIN CAPITAL LETTER A, beyond the BMP
    [InlineData("\u00a0nbsp ünï 日本 \U0001F600", "\u00a0nbsp ünï 日本 \U0001F600")]
    public void InvisibleFormatCharactersAndSeparatorsBecomeEscapes(string input, string expected)
        => Assert.Equal(expected, Printable.Line(input));

    [Fact]
    public void EscapesAfterAPairAndALoneSurrogateAtTheEnd()
        => Assert.Equal("\U0001F600\\u2029\\ud83d", Printable.Line("\U0001F600\u2029" + (char)0xd83d));

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
