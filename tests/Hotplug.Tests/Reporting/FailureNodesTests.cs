using System.Text;
using BlockDiskseq.Reporting;
using Xunit;

namespace BlockDiskseq.Tests.Reporting;

/// <summary>hotplug-error always fits Xenstore: its path, a NUL and the value within 4096 bytes, the value within 1024.</summary>
public class FailureNodesTests
{
    private const string Node = "backend/vbd/1/51712/hotplug-error";

    [Fact]
    public void AShortMessageIsKept()
        => Assert.Equal("open on /x: No such file or directory (ENOENT)", FailureNodes.Fit(Node, "open on /x: No such file or directory (ENOENT)"));

    [Fact]
    public void ALongPathLosesItsMiddleAndKeepsTheCallAndTheReason()
    {
        string message = $"open on /{new string('a', 2000)}{new string('b', 2000)}: No such file or directory (ENOENT)";

        string fitted = FailureNodes.Fit(Node, message);

        Assert.Equal(FailureNodes.MessageMax, Encoding.UTF8.GetByteCount(fitted));
        Assert.StartsWith("open on /aaaa", fitted);
        Assert.EndsWith("bbbb: No such file or directory (ENOENT)", fitted);
        Assert.Contains("a[...]b", fitted);
    }

    [Fact]
    public void ALongNodePathLeavesLessRoomForTheValue()
    {
        string node = "backend/vbd/1/" + new string('9', 3500) + "/hotplug-error";

        string fitted = FailureNodes.Fit(node, new string('x', 3000));

        Assert.True(Encoding.UTF8.GetByteCount(node) + 1 + Encoding.UTF8.GetByteCount(fitted) <= FailureNodes.PayloadMax);
        Assert.Contains(FailureNodes.Elision, fitted);
    }

    [Theory]
    [InlineData("é")]           // 2 bytes in UTF-8
    [InlineData("\U0001F4BE")]  // a surrogate pair, 4 bytes
    public void CutsFallBetweenCharactersNeverInsideOne(string wide)
    {
        var text = new StringBuilder();
        for (int i = 0; i < 700; i++)
            text.Append(wide);

        string fitted = FailureNodes.Elide(text.ToString(), 101);

        Assert.True(Encoding.UTF8.GetByteCount(fitted) <= 101);
        Assert.Equal(fitted, Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(fitted))); // no lone surrogate
        Assert.Contains(FailureNodes.Elision, fitted);
    }
}
