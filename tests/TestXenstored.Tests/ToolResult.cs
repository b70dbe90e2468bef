namespace TestXenstored.Tests;

/// <summary>How one xenstore-* tool run ended.</summary>
internal sealed record ToolResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}, stdout [{Stdout}], stderr [{Stderr}]";
}
