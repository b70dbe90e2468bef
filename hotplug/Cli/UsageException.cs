using System;

namespace BlockDiskseq.Cli;

/// <summary>A bad command line or environment knob: exit 64 (EX_USAGE) with the usage text.</summary>
internal sealed class UsageException : Exception
{
    public UsageException(string message) : base(message) { }
}
