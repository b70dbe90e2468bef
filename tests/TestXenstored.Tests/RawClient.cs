using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace TestXenstored.Tests;

/// <summary>
/// A minimal client written from xs_wire.h, independent of the server's own encoder: sends one request at a
/// time and reads its reply, queueing watch events that arrive before it.
/// </summary>
internal sealed class RawClient : IDisposable
{
    // Bounds a missing reply so the test fails instead of hanging.
    private const int ReceiveTimeoutMs = 30_000;

    private readonly NetworkStream stream;
    private readonly Queue<(string Path, string Token)> events = new();

    private RawClient(Socket socket) => stream = new NetworkStream(socket, ownsSocket: true);

    public static RawClient Connect(string socketPath)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
        {
            ReceiveTimeout = ReceiveTimeoutMs,
        };
        socket.Connect(new UnixDomainSocketEndPoint(socketPath));
        return new RawClient(socket);
    }

    /// <summary>NUL-terminated strings, as request payloads are made of.</summary>
    public static byte[] Strings(params string[] strings)
        => Encoding.Latin1.GetBytes(string.Concat(Array.ConvertAll(strings, s => s + "\0")));

    public void Send(XsdType type, byte[] payload, uint transactionId = 0, uint requestId = 0)
    {
        // One write: a server that drops the connection after the header cannot break it halfway.
        var message = new byte[16 + payload.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(message, (uint)type);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(4), requestId);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(8), transactionId);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(12), (uint)payload.Length);
        payload.CopyTo(message.AsSpan(16));
        stream.Write(message);
    }

    /// <summary>
    /// The next message of any kind, or null once the server has closed the connection: end of stream, or
    /// ECONNRESET when it closed with our request still unread (what a dropping xenstored does too).
    /// </summary>
    public Reply? ReceiveAny()
    {
        try
        {
            var header = new byte[16];
            if (stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length)
                return null;
            var payload = new byte[BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(12))];
            stream.ReadExactly(payload);
            return new Reply(
                (XsdType)BinaryPrimitives.ReadUInt32LittleEndian(header),
                BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(4)),
                BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(8)),
                payload);
        }
        catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset })
        {
            return null;
        }
    }

    /// <summary>Sends a request and returns its reply; watch events read meanwhile wait in <see cref="NextEvent"/>.</summary>
    public Reply Request(XsdType type, byte[] payload, uint transactionId = 0, uint requestId = 0)
    {
        Send(type, payload, transactionId, requestId);
        while (true)
        {
            Reply reply = ReceiveAny() ?? throw new EndOfStreamException($"server closed the connection after {type}");
            if (reply.Type != XsdType.WatchEvent)
                return reply;
            events.Enqueue(ToEvent(reply));
        }
    }

    /// <summary>A request that must succeed; its reply text.</summary>
    public string Call(XsdType type, uint transactionId, params string[] arguments)
    {
        Reply reply = Request(type, Strings(arguments), transactionId);
        Assert.True(reply.Type == type, $"{type} {string.Join(' ', arguments)}: {reply}");
        return reply.Text;
    }

    /// <summary>The error name a request must fail with.</summary>
    public string? ErrorOf(XsdType type, uint transactionId, params string[] arguments)
        => Request(type, Strings(arguments), transactionId).Error;

    public void Write(string path, string value, uint transactionId = 0)
    {
        Reply reply = Request(XsdType.Write, [.. Strings(path), .. Encoding.Latin1.GetBytes(value)], transactionId);
        Assert.True(reply.Type == XsdType.Write, $"write {path}: {reply}");
    }

    public uint StartTransaction() => uint.Parse(Call(XsdType.TransactionStart, 0, ""));

    /// <summary>Commits ("T") or aborts; the error name, or null on success.</summary>
    public string? EndTransaction(uint transactionId, bool commit = true)
        => ErrorOf(XsdType.TransactionEnd, transactionId, commit ? "T" : "F");

    /// <summary>Watches and consumes the event every new watch gets at once.</summary>
    public void Watch(string path, string token)
    {
        Call(XsdType.Watch, 0, path, token);
        Assert.Equal((path, token), NextEvent());
    }

    /// <summary>The next watch event, queued or read now.</summary>
    public (string Path, string Token) NextEvent()
    {
        if (events.TryDequeue(out var queued))
            return queued;
        Reply reply = ReceiveAny() ?? throw new EndOfStreamException("server closed the connection");
        Assert.True(reply.Type == XsdType.WatchEvent, $"expected a watch event: {reply}");
        return ToEvent(reply);
    }

    public void Dispose() => stream.Dispose();

    private static (string, string) ToEvent(Reply reply)
    {
        string[] parts = Encoding.Latin1.GetString(reply.Payload).Split('\0');
        Assert.True(parts.Length == 3 && parts[2] == "", $"watch event payload: {reply}");
        Assert.Equal(0u, reply.RequestId);
        return (parts[0], parts[1]);
    }
}
