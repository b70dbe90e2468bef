namespace BlockDiskseq.Devices;

internal static class HexDigits
{
    /// <summary>The digit's value, or -1 if it is not a hex digit (upper case only when allowed).</summary>
    internal static int ValueOf(char c, bool upperCaseAllowed) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' when upperCaseAllowed => c - 'A' + 10,
        _ => -1,
    };
}
