namespace BlockDiskseq.Tests.Integration;

/// <summary>How a run of the binary ended.</summary>
public sealed record HotplugResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
}
