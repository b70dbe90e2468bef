using System;
using System.Buffers;
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
    /// Control characters (C0 including NUL, DEL, C1) become C escapes (\n, \t, \r, else \xNN). So do the
    /// characters that change how a line is shown without being seen (\uXXXX, or \UXXXXXXXX beyond the BMP):
    /// format characters (Unicode category Cf: the bidi overrides and isolates U+202A-202E and U+2066-2069,
    /// which make a terminal show "gmi.exe" for "exe.img", zero-width U+200B-200F, U+FEFF, tags) and the line
    /// and paragraph separators U+2028/U+2029 (a line break to many viewers). A lone surrogate has no UTF-8
    /// form, so it is shown as \uXXXX instead of letting the write put U+FFFD. All else is kept.
    /// </summary>
    internal static string Line(string text)
    {
        int first = IndexOfUnprintable(text);
        if (first < 0)
            return text;
        var line = new StringBuilder(text.Length + 8);
        line.Append(text, 0, first);
        for (int i = first; i < text.Length;)
            i += AppendEscaped(line, text, i);
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

    /// <summary>Appends the character (or pair) at i, escaped if unprintable; returns how many chars it took.</summary>
    private static int AppendEscaped(StringBuilder line, string text, int i)
    {
        (int codePoint, int length, bool unprintable) = At(text, i);
        if (!unprintable)
            line.Append(text, i, length);
        else
            line.Append(codePoint switch
            {
                '\n' => "\\n",
                '\t' => "\\t",
                '\r' => "\\r",
                < 0x100 => "\\x" + codePoint.ToString("x2", CultureInfo.InvariantCulture),
                < 0x10000 => "\\u" + codePoint.ToString("x4", CultureInfo.InvariantCulture),
                _ => "\\U" + codePoint.ToString("x8", CultureInfo.InvariantCulture),
            });
        return length;
    }

    private static int IndexOfUnprintable(string text)
    {
        for (int i = 0; i < text.Length;)
        {
            (_, int length, bool unprintable) = At(text, i);
            if (unprintable)
                return i;
            i += length;
        }
        return -1;
    }

    /// <summary>The code point at i, its length in chars, and whether Line escapes it.</summary>
    private static (int CodePoint, int Length, bool Unprintable) At(string text, int i)
    {
        if (Rune.DecodeFromUtf16(text.AsSpan(i), out Rune rune, out int length) != OperationStatus.Done)
            return (text[i], 1, true); // a lone surrogate (Rune cannot hold one)
        bool unprintable = Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;
        return (rune.Value, length, unprintable);
    }

    private static bool IsControl(char c) => c < ' ' || c is '\x7f' or (>= '\x80' and < '\xa0');
}
