using System.Globalization;
using System.Text;

namespace BlockDiskseq.Reporting;

/// <summary>
/// hotplug-error and log lines are single lines of text: a Xenstore value (params, a path) may carry
/// newlines or other control characters that would forge log lines or break libxl's "script: ..." output.
/// </summary>
internal static class Sanitise
{
    /// <summary>Control characters (C0, DEL, C1) become \xNN; everything else is kept.</summary>
    internal static string Line(string text)
    {
        int first = IndexOfControl(text);
        if (first < 0)
            return text;
        var line = new StringBuilder(text.Length + 8);
        line.Append(text, 0, first);
        for (int i = first; i < text.Length; i++)
        {
            char c = text[i];
            if (IsControl(c))
                line.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            else
                line.Append(c);
        }
        return line.ToString();
    }

    /// <summary>A Xenstore value for a message: 'value' escaped, or "missing" for an absent node.</summary>
    internal static string Quote(string? value) => value is null ? "missing" : $"'{Line(value)}'";

    private static int IndexOfControl(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (IsControl(text[i]))
                return i;
        }
        return -1;
    }

    private static bool IsControl(char c) => c < 0x20 || (c >= 0x7f && c < 0xa0);
}
