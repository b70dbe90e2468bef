using System.Text;

namespace BlockDiskseq.Reporting;

/// <summary>Makes untrusted strings (Xenstore values, paths) safe for a one-line message.</summary>
internal static class Printable
{
    /// <summary>Longer values are cut (with "...") so a hostile value cannot flood the log line.</summary>
    internal const int MaxQuotedLength = 256;

    /// <summary>The value in double quotes, with control characters, quotes and backslashes escaped C-style.</summary>
    internal static string Quote(string value)
    {
        var sb = new StringBuilder(System.Math.Min(value.Length, MaxQuotedLength) + 8);
        sb.Append('"');
        string shown = value.Length > MaxQuotedLength ? value[..MaxQuotedLength] : value;
        for (int i = 0; i < shown.Length; i++)
        {
            char c = shown[i];
            switch (c)
            {
                case '\n': sb.Append("\\n"); break;
                case '\t': sb.Append("\\t"); break;
                case '\r': sb.Append("\\r"); break;
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case < ' ' or '\x7f' or (>= '\x80' and < '\xa0'):
                    sb.Append("\\x").Append(((int)c).ToString("x2"));
                    break;
                case >= '\ud800' and <= '\udfff' when !IsPairedSurrogate(shown, i):
                    // A lone surrogate has no UTF-8 form: show it instead of letting the log write U+FFFD.
                    sb.Append("\\u").Append(((int)c).ToString("x4"));
                    break;
                default: sb.Append(c); break;
            }
        }
        if (value.Length > MaxQuotedLength)
            sb.Append("...");
        return sb.Append('"').ToString();
    }

    private static bool IsPairedSurrogate(string s, int i)
        => char.IsHighSurrogate(s[i]) ? i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])
                                      : i > 0 && char.IsHighSurrogate(s[i - 1]);

    /// <summary>True for C0 controls (including NUL), DEL and C1 controls.</summary>
    internal static bool HasControlCharacter(string value)
    {
        foreach (char c in value)
        {
            if (c < ' ' || c is '\x7f' or (>= '\x80' and < '\xa0'))
                return true;
        }
        return false;
    }
}
