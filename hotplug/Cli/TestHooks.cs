using System;
using System.Globalization;
using BlockDiskseq.Reporting;

namespace BlockDiskseq.Cli;

/// <summary>
/// Test-only faults for the Xen lab (docs/design.md "Test-only hooks"): what a wrapper cannot do from
/// outside, because it happens inside our own transaction. Off unless BLOCK_DISKSEQ_TEST_HOOKS carries
/// its exact, deliberately unlikely value, so a stray variable in a toolstack's environment cannot make
/// real disks fail; a hook variable set without it is logged and ignored.
/// </summary>
internal static class TestHooks
{
    internal const string GateVariable = "BLOCK_DISKSEQ_TEST_HOOKS";
    internal const string GateValue = "break-my-disks";
    /// <summary>Added to the diskseq written to Xenstore (never to anything compared locally).</summary>
    internal const string DiskseqOffsetVariable = "BLOCK_DISKSEQ_TEST_DISKSEQ_OFFSET";
    /// <summary>A small nudge is all a mismatch needs; a large one is a typo.</summary>
    private const ulong MaxDiskseqOffset = 1000;

    internal static ulong DiskseqOffset(Func<string, string?> env)
    {
        string? text = env(DiskseqOffsetVariable);
        if (text is null)
            return 0;
        if (env(GateVariable) != GateValue)
        {
            Log.Warning($"{DiskseqOffsetVariable} is set but {GateVariable} is not \"{GateValue}\": test hooks are off, ignoring");
            return 0;
        }
        bool wellFormed = text.Length is > 0 and <= 4 && text[0] != '0' && text.AsSpan().IndexOfAnyExcept("0123456789") < 0;
        if (!wellFormed || !ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong offset) || offset > MaxDiskseqOffset)
            throw new UsageException($"{DiskseqOffsetVariable} must be a decimal number from 1 to {MaxDiskseqOffset}, not {Printable.Quote(text)}");
        return offset;
    }
}
