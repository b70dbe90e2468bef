using System;
using System.Collections.Generic;
using System.Text;

namespace TestXenstored;

/// <summary>
/// Request and reply payloads: NUL-terminated strings, as xenstored's get_strings() reads them.
/// Latin-1 maps bytes to chars one to one, so tokens of any bytes come back unchanged; paths with
/// bytes outside ASCII fail path validation.
/// </summary>
internal static class Payload
{
    public static readonly byte[] Ok = Strings("OK");

    /// <summary>The NUL-terminated strings at the start of a payload; unterminated trailing bytes are not one.</summary>
    public static List<string> Split(ReadOnlySpan<byte> payload)
    {
        var strings = new List<string>();
        int nul;
        while ((nul = payload.IndexOf((byte)0)) >= 0)
        {
            strings.Add(Encoding.Latin1.GetString(payload[..nul]));
            payload = payload[(nul + 1)..];
        }
        return strings;
    }

    /// <summary>xenstored's onearg(): the payload is exactly one NUL-terminated string, else EINVAL.</summary>
    public static string OneArgument(ReadOnlySpan<byte> payload)
    {
        int nul = payload.IndexOf((byte)0);
        if (nul != payload.Length - 1)
            throw new XsdException(XsdErrno.EINVAL, "expected one NUL-terminated argument");
        return Encoding.Latin1.GetString(payload[..nul]);
    }

    /// <summary>At least <paramref name="count"/> NUL-terminated strings, else EINVAL.</summary>
    public static List<string> Arguments(ReadOnlySpan<byte> payload, int count)
    {
        List<string> strings = Split(payload);
        if (strings.Count < count)
            throw new XsdException(XsdErrno.EINVAL, $"expected {count} NUL-terminated arguments");
        return strings;
    }

    /// <summary>Each string followed by a NUL.</summary>
    public static byte[] Strings(params IEnumerable<string> strings)
    {
        var bytes = new List<byte>();
        foreach (string s in strings)
        {
            bytes.AddRange(Encoding.Latin1.GetBytes(s));
            bytes.Add(0);
        }
        return bytes.ToArray();
    }
}
