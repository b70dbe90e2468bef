using BlockDiskseq.Reporting;
using Xunit;

namespace BlockDiskseq.Tests.Reporting;

public class SanitiseTests
{
    [Theory]
    [InlineData("plain /dev/loop7: ok", "plain /dev/loop7: ok")]
    [InlineData("a\nb", "a\\x0ab")]
    [InlineData("tab\there\r", "tab\\x09here\\x0d")]
    [InlineData("\u001b[31mred", "\\x1b[31mred")]
    [InlineData("del\u007f c1\u0085", "del\\x7f c1\\x85")]
    [InlineData("grüße ✓", "grüße ✓")]
    public void ControlCharactersBecomeVisibleEscapes(string input, string expected)
        => Assert.Equal(expected, Sanitise.Line(input));
}
