namespace TestXenstored;

/// <summary>One message read from a client.</summary>
internal readonly record struct Request(WireHeader Header, byte[] Payload);
