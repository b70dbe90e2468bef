using System;
using System.Text;
using BlockDiskseq.Reporting;

namespace BlockDiskseq.DeviceMapper;

/// <summary>
/// One line of a dm table: "START LENGTH TYPE PARAMS" (sectors of 512 bytes), as `dmsetup table` prints it.
/// Devices inside PARAMS are "MAJOR:MINOR" in decimal (dm_get_device parses "%u:%u"), never paths: the
/// kernel then needs no name lookup and we name exactly the device we hold.
/// </summary>
internal sealed record DmTarget
{
    /// <summary>Long enough for any table this program builds, short enough to stay far from kernel limits.</summary>
    internal const int MaxParametersLength = 1024;

    public ulong SectorStart { get; }
    public ulong Length { get; }
    public string TargetType { get; }
    public string Parameters { get; }

    public DmTarget(ulong sectorStart, ulong length, string targetType, string parameters)
    {
        if (length == 0)
            throw new ArgumentOutOfRangeException(nameof(length), "a dm target needs at least one sector");
        if (targetType.Length is 0 or >= Native.LibC.DM_MAX_TYPE_NAME || !IsToken(targetType))
            throw new ArgumentException($"invalid dm target type {Printable.Quote(targetType)}", nameof(targetType));
        if (parameters.Length > MaxParametersLength || !IsPrintable(parameters))
            throw new ArgumentException($"invalid dm target parameters {Printable.Quote(parameters)}", nameof(parameters));
        SectorStart = sectorStart;
        Length = length;
        TargetType = targetType;
        Parameters = parameters;
    }

    public override string ToString() => $"{SectorStart} {Length} {TargetType} {Parameters}";

    internal byte[] TargetTypeBytes => Encoding.ASCII.GetBytes(TargetType);
    internal byte[] ParameterBytes => Encoding.ASCII.GetBytes(Parameters);

    private static bool IsToken(string text)
    {
        foreach (char c in text)
            if (!char.IsAsciiLetterOrDigit(c) && c is not '-' and not '_')
                return false;
        return true;
    }

    // Printable ASCII and spaces: the kernel splits PARAMS on whitespace, and a NUL would end it early.
    private static bool IsPrintable(string text)
    {
        foreach (char c in text)
            if (c is < ' ' or > '~')
                return false;
        return true;
    }
}
