using Xunit;

namespace BlockDiskseq.Tests.Integration;

/// <summary>
/// Integration tests run one at a time: each creates and counts real loop devices, and parallel runs
/// would only make timing-dependent cases (kills, deadlines) flaky on a small machine.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LoopDeviceCollection
{
    public const string Name = "loop devices";
}
