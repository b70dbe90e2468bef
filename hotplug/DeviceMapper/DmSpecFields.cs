using System;
using System.Collections.Generic;
using BlockDiskseq.Devices;
using BlockDiskseq.Reporting;

namespace BlockDiskseq.DeviceMapper;

/// <summary>
/// The KEY=VALUE,KEY=VALUE list after a dm form's prefix: only the given keys, each at most once, none
/// empty. The value is everything after the first '=' of its item. Failures are FormatExceptions that
/// DmDiskSpec.Parse turns into one line naming the params and the forms.
/// </summary>
internal sealed class DmSpecFields
{
    private const int MaxDecimalDigits = 20;   // ulong.MaxValue has 20

    private readonly Dictionary<string, string> values = new(StringComparer.Ordinal);

    internal DmSpecFields(string text, params string[] keys)
    {
        if (text.Length == 0)
            throw new FormatException("nothing follows the prefix");
        foreach (string item in text.Split(','))
        {
            int equals = item.IndexOf('=');
            if (equals <= 0)
                throw new FormatException(item.Length == 0 ? "empty item (\",,\" or a \",\" at either end)" : $"{Printable.Quote(item)} is not KEY=VALUE");
            string key = item[..equals];
            if (Array.IndexOf(keys, key) < 0)
                throw new FormatException($"unknown key {Printable.Quote(key)} (known: {string.Join(", ", keys)})");
            if (equals == item.Length - 1)
                throw new FormatException($"{key}= is empty");
            if (!values.TryAdd(key, item[(equals + 1)..]))
                throw new FormatException($"{key}= is given twice");
        }
    }

    internal bool Has(string key) => values.ContainsKey(key);

    private string Value(string key) => values.TryGetValue(key, out string? value) ? value : throw new FormatException($"{key}= is missing");

    /// <summary>A path as DiskTarget takes it (absolute, or a name under /dev).</summary>
    internal DiskTarget Path(string key)
    {
        try
        {
            return DiskTarget.Parse(Value(key));
        }
        catch (HotplugFailure e)
        {
            throw new FormatException($"{key}=: {e.Message}");
        }
    }

    /// <summary>Canonical decimal: digits only, no sign, no leading zero (except "0" itself), no whitespace.</summary>
    internal ulong Number(string key)
    {
        string text = Value(key);
        if (text.Length > MaxDecimalDigits || (text.Length > 1 && text[0] == '0') || text.AsSpan().IndexOfAnyExceptInRange('0', '9') >= 0
            || !ulong.TryParse(text, out ulong value))
            throw new FormatException($"{key}={Printable.Quote(text)} is not a decimal number without sign or leading zeros, up to {ulong.MaxValue}");
        return value;
    }
}
