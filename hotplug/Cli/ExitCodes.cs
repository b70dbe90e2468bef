namespace BlockDiskseq.Cli;

/// <summary>Exit codes, documented in README.md. libxl only tells 0 from non-zero.</summary>
internal static class ExitCodes
{
    internal const int Success = 0;
    /// <summary>Any failure of add, remove or status; hotplug-error says what.</summary>
    internal const int Failure = 1;
    /// <summary>Bad command line (sysexits.h EX_USAGE).</summary>
    internal const int Usage = 64;
}
