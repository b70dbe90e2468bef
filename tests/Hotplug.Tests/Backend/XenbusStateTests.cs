using BlockDiskseq.Backend;
using Xunit;

namespace BlockDiskseq.Tests.Backend;

public class XenbusStateTests
{
    [Theory]
    [InlineData("2", 2)]
    [InlineData("5", 5)]
    [InlineData("6", 6)]
    public void ParsesTheDigitXenWrites(string text, int expected) => Assert.Equal((XenbusState)expected, XenbusStates.Parse(text));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("02")]
    [InlineData("9")]
    [InlineData(" 2")]
    public void AnythingElseIsNoState(string? text) => Assert.Null(XenbusStates.Parse(text));

    [Fact]
    public void ClosingAndClosedMeanTearingDown()
    {
        Assert.True(XenbusStates.IsTearingDown("5"));
        Assert.True(XenbusStates.IsTearingDown("6"));
        Assert.False(XenbusStates.IsTearingDown("4"));
        Assert.False(XenbusStates.IsTearingDown(null));
        Assert.Equal("InitWait", XenbusStates.Name("2"));
        Assert.Equal("not a XenbusState", XenbusStates.Name("x"));
    }
}
