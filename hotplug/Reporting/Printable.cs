using System.Globalization;
using System.Text;

namespace BlockDiskseq.Reporting;

/// <summary>
/// The one text sanitiser. hotplug-error, log lines and the status report are single lines of text, but a
/// Xenstore value (params, a path) or a name read from the kernel may carry newlines or other control
/// characters that would forge log lines or break libxl's "script: ..." output. Messages are built with the
/// raw values (Quote marks where a value starts and ends); Line escapes the whole text once, where it leaves
/// the program: Log (stderr, syslog, hotplug log), FailureReport (hotplug-error) and Status (each value of the
/// report, whose lines are its own).
/// </summary>
internal static class Printable
{
    /// <summary>Longer values are cut (with "...") so a hostile value cannot flood the log line.</summary>
    internal const int MaxQuotedLength = 256;

    /// <summary>
    /// Control characters (C0 including NUL, DEL, C1) become C escapes (\n, \t, \r, else \xNN) and a lone
    /// surrogate \uXXXX (it has no UTF-8 form: shown instead of letting the write put U+FFFD); all else is kept.
    /// </summary>
    internal static string Line(string text)
    {
        int first = IndexOfUnprintable(text);
        if (first < 0)
            return text;
        var line = new StringBuilder(text.Length + 8);
        line.Append(text, 0, first);
        for (int i = first; i < text.Length; i++)
            AppendEscaped(line, text, i);
        return line.ToString();
    }

    /// <summary>
    /// A value for a message: in double quotes, with quotes and backslashes escaped C-style so the value's end
    /// is unambiguous, cut after MaxQuotedLength characters; "missing" for an absent Xenstore node. Control
    /// characters are left to Line at the boundary.
    /// </summary>
    internal static string Quote(string? value)
    {
        if (value is null)
            return "missing";
        string shown = value.Length > MaxQuotedLength ? value[..MaxQuotedLength] : value;
        var quoted = new StringBuilder(shown.Length + 8).Append('"');
        foreach (char c in shown)
        {
            if (c is '"' or '\\')
                quoted.Append('\\');
            quoted.Append(c);
        }
        if (value.Length > MaxQuotedLength)
            quoted.Append("...");
        return quoted.Append('"').ToString();
    }

    /// <summary>True for C0 controls (including NUL), DEL and C1 controls.</summary>
    internal static bool HasControlCharacter(string value)
    {
        foreach (char c in value)
        {
            if (IsControl(c))
                return true;
        }
        return false;
    }

    private static void AppendEscaped(StringBuilder line, string text, int i)
    {
        char c = text[i];
        switch (c)
        {
            case '\n': line.Append("\\n"); break;
            case '\t': line.Append("\\t"); break;
            case '\r': line.Append("\\r"); break;
            case var _ when IsControl(c):
                line.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                break;
            case var _ when IsLoneSurrogate(text, i):
                line.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                break;
            default: line.Append(c); break;
        }
    }

    private static int IndexOfUnprintable(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (IsControl(text[i]) || IsLoneSurrogate(text, i))
                return i;
        }
        return -1;
    }

    private static bool IsControl(char c) => c < ' ' || c is '\x7f' or (>= '\x80' and < '\xa0');

    private static bool IsLoneSurrogate(string s, int i)
        => char.IsHighSurrogate(s[i]) ? i + 1 >= s.Length || !char.IsLowSurrogate(s[i + 1])
         : char.IsLowSurrogate(s[i]) && (i == 0 || !char.IsHighSurrogate(s[i - 1]));
}
