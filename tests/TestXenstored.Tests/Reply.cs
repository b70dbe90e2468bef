using System.Text;

namespace TestXenstored.Tests;

/// <summary>A message from the server as the raw client read it.</summary>
internal readonly record struct Reply(XsdType Type, uint RequestId, uint TransactionId, byte[] Payload)
{
    /// <summary>The payload as text, without one trailing NUL.</summary>
    public string Text => Raw.EndsWith('\0') ? Raw[..^1] : Raw;

    /// <summary>The payload as text, NULs and all.</summary>
    public string Raw => Encoding.Latin1.GetString(Payload);

    /// <summary>The error name of an XS_ERROR reply, or null for any other reply.</summary>
    public string? Error => Type == XsdType.Error ? Text : null;

    public override string ToString() => $"{Type} req {RequestId} tx {TransactionId} [{Text.Replace('\0', '|')}]";
}
