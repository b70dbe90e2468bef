using System;
using System.Buffers.Binary;

namespace TestXenstored;

/// <summary>
/// The message header, xs_wire.h:
/// <code>
/// struct xsd_sockmsg {
///     uint32_t type;   /* XS_??? */
///     uint32_t req_id; /* Request identifier, echoed in daemon's response. */
///     uint32_t tx_id;  /* Transaction id (0 if not related to a transaction). */
///     uint32_t len;    /* Length of data following this. */
/// };
/// </code>
/// Host byte order, which is little-endian on every platform Xen's x86 and Arm dom0s run on.
/// </summary>
internal readonly record struct WireHeader(XsdType Type, uint RequestId, uint TransactionId, uint Length)
{
    public const int Size = 16;

    /// <summary>XENSTORE_PAYLOAD_MAX: xenstored drops a connection that announces more.</summary>
    public const int PayloadMax = 4096;

    public static WireHeader Parse(ReadOnlySpan<byte> bytes) => new(
        (XsdType)BinaryPrimitives.ReadUInt32LittleEndian(bytes),
        BinaryPrimitives.ReadUInt32LittleEndian(bytes[4..]),
        BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]),
        BinaryPrimitives.ReadUInt32LittleEndian(bytes[12..]));

    public void WriteTo(Span<byte> bytes)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)Type);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[4..], RequestId);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[8..], TransactionId);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[12..], Length);
    }

    /// <summary>A whole message: this header's type and ids, the payload's length, then the payload.</summary>
    public byte[] Encode(ReadOnlySpan<byte> payload)
    {
        var message = new byte[Size + payload.Length];
        (this with { Length = (uint)payload.Length }).WriteTo(message);
        payload.CopyTo(message.AsSpan(Size));
        return message;
    }
}
