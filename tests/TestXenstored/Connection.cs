using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

namespace TestXenstored;

/// <summary>
/// One client socket. Requests are read and answered one at a time; everything sent (replies and watch
/// events) goes through one queue and one writer task, so messages never interleave on the socket and
/// replies leave in request order, which libxenstore relies on (it sends req_id 0 and matches by type).
/// </summary>
internal sealed class Connection : IDisposable
{
    private readonly Socket socket;
    private readonly NetworkStream stream;
    private readonly Channel<byte[]> outgoing = Channel.CreateUnbounded<byte[]>(new() { SingleReader = true });
    private readonly Task writer;
    private uint lastTransactionId;
    private int closed;

    /// <summary>Open transactions by id; used with the tree lock held.</summary>
    public Dictionary<uint, Transaction> Transactions { get; } = [];

    public Connection(Socket socket)
    {
        this.socket = socket;
        stream = new NetworkStream(socket, ownsSocket: true);
        writer = Task.Run(WriteAllAsync);
    }

    /// <summary>Transaction ids are per connection and start at 1 (0 means "no transaction").</summary>
    public uint NextTransactionId() => ++lastTransactionId;

    /// <summary>
    /// The next request, or null when the client has gone, the socket was closed, or the client announced a
    /// payload over XENSTORE_PAYLOAD_MAX (xenstored drops such a connection rather than resynchronise).
    /// </summary>
    public async Task<Request?> ReceiveAsync()
    {
        try
        {
            byte[] headerBytes = new byte[WireHeader.Size];
            await stream.ReadExactlyAsync(headerBytes);
            WireHeader header = WireHeader.Parse(headerBytes);
            if (header.Length > WireHeader.PayloadMax)
                return null;
            byte[] payload = new byte[header.Length];
            await stream.ReadExactlyAsync(payload);
            return new Request(header, payload);
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or ObjectDisposedException or SocketException)
        {
            return null;
        }
    }

    /// <summary>Queues a whole message; silently dropped once the connection is closed.</summary>
    public void Send(byte[] message) => _ = outgoing.Writer.TryWrite(message);

    public void SendWatchEvent(string path, string token)
        => Send(new WireHeader(XsdType.WatchEvent, 0, 0, 0).Encode(Payload.Strings(path, token)));

    /// <summary>Closes the socket at once: queued messages not yet written are lost, as on a real drop.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref closed, 1) != 0)
            return;
        outgoing.Writer.TryComplete();
        stream.Dispose();
    }

    /// <summary>Waits for the writer task to end after <see cref="Dispose"/>.</summary>
    public Task Completion => writer;

    private async Task WriteAllAsync()
    {
        try
        {
            await foreach (byte[] message in outgoing.Reader.ReadAllAsync())
                await stream.WriteAsync(message);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException)
        {
            // The client went away; the reader sees the same and ends the connection.
        }
        Dispose();
    }
}
