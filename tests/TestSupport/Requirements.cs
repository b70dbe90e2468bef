using System;
using System.IO;
using Xunit;

namespace BlockDiskseq.TestSupport;

/// <summary>
/// What the integration tests need: root (loop devices, mknod, mount), /dev/loop-control and the published
/// binary. Where one is missing they skip with the reason; run-tests fails a CI run that skipped any.
/// </summary>
internal static class Requirements
{
    internal const string BinaryVariable = "BLOCK_DISKSEQ_BIN";

    internal static readonly string? MissingReason = FindMissing();

    internal static string Binary => Environment.GetEnvironmentVariable(BinaryVariable) is { Length: > 0 } bin
        ? bin
        : Path.Combine(RepositoryRoot(), "artifacts", "publish", "block-diskseq");

    private static string? FindMissing()
    {
        if (Environment.UserName != "root")
            return "needs root (loop devices, mknod, mount)";
        if (!File.Exists("/dev/loop-control"))
            return "needs /dev/loop-control (the loop module)";
        if (!File.Exists(Binary))
            return $"the published binary {Binary} does not exist: run ./run-tests, or dotnet publish hotplug -o artifacts/publish";
        return null;
    }

    internal static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "block-diskseq.slnx")))
                return dir.FullName;
        }
        return Directory.GetCurrentDirectory();
    }
}

/// <summary>A Fact that runs only where Requirements are met.</summary>
public sealed class IntegrationFactAttribute : FactAttribute
{
    public IntegrationFactAttribute()
    {
        if (Requirements.MissingReason is string reason)
            Skip = reason;
    }
}

/// <summary>A Theory that runs only where Requirements are met.</summary>
public sealed class IntegrationTheoryAttribute : TheoryAttribute
{
    public IntegrationTheoryAttribute()
    {
        if (Requirements.MissingReason is string reason)
            Skip = reason;
    }
}
