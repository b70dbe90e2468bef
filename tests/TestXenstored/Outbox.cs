using System;
using System.Collections.Generic;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;

namespace TestXenstored;

/// <summary>
/// The messages queued for one client, written whole and in queue order. Queueing never blocks: callers hold
/// the tree lock, and a client that stops reading must not stall the server. So the thread that queues onto an
/// idle outbox writes at once with non-blocking sends (a reply costs no hand-off to another thread), and only
/// once the client's socket buffer is full does the rest go to a writer thread, started the first time that
/// happens. Messages queued while someone is sending wait for that sender, which keeps the order.
/// </summary>
internal sealed class Outbox(Socket socket, Action onBroken) : IDisposable
{
    private readonly SafeHandle handle = socket.SafeHandle;
    private readonly Lock gate = new();
    private readonly Queue<byte[]> pending = new();
    private readonly SemaphoreSlim writerWork = new(0);
    private int headSent; // bytes of pending.Peek() already on the socket: a full buffer can cut a message
    private bool sending; // one thread sends at a time: whoever found the outbox idle, or the writer
    private bool closed;
    private Thread? writer;

    /// <summary>Queues a whole message and, if nobody is sending, sends what it can without blocking.</summary>
    public void Add(byte[] message)
    {
        lock (gate)
        {
            if (closed)
                return; // nobody is left to read it
            pending.Enqueue(message);
            if (sending)
                return;
            sending = true;
        }
        SendWithoutBlocking();
    }

    /// <summary>Drops what is still queued and lets the writer thread, if any, end.</summary>
    public void Dispose()
    {
        lock (gate)
        {
            closed = true;
            pending.Clear();
        }
        writerWork.Release();
    }

    /// <summary>After <see cref="Dispose"/>: false only if a writer thread is still blocked in a send.</summary>
    public bool WaitForWriter(TimeSpan timeout)
    {
        Thread? thread;
        lock (gate)
            thread = writer;
        return thread?.Join(timeout) ?? true;
    }

    private unsafe void SendWithoutBlocking()
    {
        while (NextChunk() is { } chunk)
        {
            nint sent;
            int errno;
            try
            {
                fixed (byte* bytes = chunk.AsSpan())
                    sent = LibC.send(handle, bytes, (nuint)chunk.Count, LibC.MSG_DONTWAIT | LibC.MSG_NOSIGNAL);
                errno = Marshal.GetLastPInvokeError();
            }
            catch (ObjectDisposedException)
            {
                return; // the connection closed the socket meanwhile
            }
            if (sent >= 0)
            {
                Advance((int)sent);
                continue;
            }
            // EINTR cannot come from a send that does not wait; should it, the writer simply retries.
            if (errno is LibC.EAGAIN or LibC.EINTR)
                HandToWriter();
            else
                onBroken(); // the client has gone (EPIPE, ECONNRESET): drop it; its reader then ends too
            return;
        }
    }

    /// <summary>What is left of the oldest message, or null once closed or empty (then nobody is sending).</summary>
    private ArraySegment<byte>? NextChunk()
    {
        lock (gate)
        {
            if (closed)
                return null;
            if (!pending.TryPeek(out byte[]? head))
            {
                sending = false;
                return null;
            }
            return new ArraySegment<byte>(head, headSent, head.Length - headSent);
        }
    }

    private void Advance(int sent)
    {
        lock (gate)
        {
            if (closed)
                return;
            headSent += sent;
            if (headSent == pending.Peek().Length)
            {
                pending.Dequeue();
                headSent = 0;
            }
        }
    }

    /// <summary>The socket buffer is full: the writer thread takes over sending, blocking as long as it must.</summary>
    private void HandToWriter()
    {
        lock (gate)
        {
            if (closed)
                return;
            if (writer is null)
            {
                // Started under the lock: WaitForWriter must never Join a thread that was not started.
                writer = new Thread(WriteQueued) { IsBackground = true, Name = "TestXenstored writer" };
                writer.Start();
            }
        }
        writerWork.Release();
    }

    private void WriteQueued()
    {
        try
        {
            while (WaitForWork())
            {
                while (NextChunk() is { } chunk)
                    Advance(socket.Send(chunk.AsSpan()));
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            onBroken();
        }
    }

    /// <summary>Waits until handed the sending; false once closed.</summary>
    private bool WaitForWork()
    {
        writerWork.Wait();
        lock (gate)
            return !closed;
    }
}
