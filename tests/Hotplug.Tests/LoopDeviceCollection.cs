using Xunit;

namespace BlockDiskseq.Tests;

/// <summary>
/// Tests that use real loop devices run one at a time: they share the kernel's loop devices and count
/// them, and parallel runs would only make timing-dependent cases (kills, deadlines) flaky on a small machine.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LoopDeviceCollection
{
    public const string Name = "loop devices";
}
