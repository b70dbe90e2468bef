using System.Collections.Generic;
using BlockDiskseq.Cli;
using Xunit;

namespace BlockDiskseq.Tests.Cli;

public class TestHooksTests
{
    private static ulong Offset(Dictionary<string, string> env)
        => TestHooks.DiskseqOffset(name => env.TryGetValue(name, out string? v) ? v : null);

    [Fact]
    public void OffByDefault() => Assert.Equal(0ul, Offset([]));

    [Theory]
    [InlineData(null)]
    [InlineData("1")]
    [InlineData("yes")]
    [InlineData("break-my-disks ")]
    public void OffsetIgnoredWithoutTheExactGate(string? gate)
    {
        var env = new Dictionary<string, string> { [TestHooks.DiskseqOffsetVariable] = "1" };
        if (gate is not null)
            env[TestHooks.GateVariable] = gate;
        Assert.Equal(0ul, Offset(env));
    }

    [Fact]
    public void OffsetHonouredBehindTheGate()
        => Assert.Equal(3ul, Offset(new() { [TestHooks.GateVariable] = TestHooks.GateValue, [TestHooks.DiskseqOffsetVariable] = "3" }));

    [Theory]
    [InlineData("0")]
    [InlineData("01")]
    [InlineData("-1")]
    [InlineData("+1")]
    [InlineData(" 1")]
    [InlineData("1001")]
    [InlineData("")]
    public void MalformedOffsetBehindTheGateIsAUsageError(string offset)
        => Assert.Throws<UsageException>(() => Offset(new() { [TestHooks.GateVariable] = TestHooks.GateValue, [TestHooks.DiskseqOffsetVariable] = offset }));
}
