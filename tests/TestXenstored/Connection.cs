using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Sockets;
using System.Threading;

namespace TestXenstored;

/// <summary>
/// One client socket. Requests are read and answered one at a time; everything sent (replies and watch
/// events) goes through one <see cref="Outbox"/>, so messages never interleave on the socket and replies
/// leave in request order, which libxenstore relies on (it sends req_id 0 and matches by type).
/// </summary>
internal sealed class Connection : IDisposable
{
    private readonly Socket socket;
    private readonly NetworkStream stream;
    private readonly Outbox outbox;
    private uint lastTransactionId;
    private int closed;

    /// <summary>Open transactions by id; used with the tree lock held.</summary>
    public Dictionary<uint, Transaction> Transactions { get; } = [];

    public Connection(Socket socket)
    {
        this.socket = socket;
        stream = new NetworkStream(socket, ownsSocket: true);
        outbox = new Outbox(socket, onBroken: Dispose);
    }

    /// <summary>Transaction ids are per connection and start at 1 (0 means "no transaction").</summary>
    public uint NextTransactionId() => ++lastTransactionId;

    /// <summary>
    /// The next request, or null when the client has gone, the socket was closed, or the client announced a
    /// payload over XENSTORE_PAYLOAD_MAX (xenstored drops such a connection rather than resynchronise).
    /// </summary>
    public Request? Receive()
    {
        try
        {
            byte[] headerBytes = new byte[WireHeader.Size];
            stream.ReadExactly(headerBytes);
            WireHeader header = WireHeader.Parse(headerBytes);
            if (header.Length > WireHeader.PayloadMax)
                return null;
            byte[] payload = new byte[header.Length];
            stream.ReadExactly(payload);
            return new Request(header, payload);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException)
        {
            return null; // EndOfStreamException is an IOException
        }
    }

    /// <summary>Fault injection: every message sent from now on is dropped (a reply lost with the connection).</summary>
    public bool Muted { get; set; }

    /// <summary>Sends a whole message, or queues it without blocking; dropped once the connection is closed.</summary>
    public void Send(byte[] message)
    {
        if (!Muted)
            outbox.Add(message);
    }

    public void SendWatchEvent(string path, string token)
        => Send(new WireHeader(XsdType.WatchEvent, 0, 0, 0).Encode(Payload.Strings(path, token)));

    /// <summary>
    /// Closes the socket at once, which also ends a Receive blocked on it; queued messages not yet
    /// written are lost, as on a real drop.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref closed, 1) != 0)
            return;
        outbox.Dispose();
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Not connected any more: nothing to wake up.
        }
        stream.Dispose();
    }

    /// <summary>Waits for the writer thread, if the connection needed one, to end after <see cref="Dispose"/>.</summary>
    public bool WaitForWriter(TimeSpan timeout) => outbox.WaitForWriter(timeout);
}
