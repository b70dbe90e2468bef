using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using System.Threading;

namespace TestXenstored;

/// <summary>
/// A Xenstore daemon for tests: speaks the xenstored wire protocol on a Unix socket well enough for
/// libxenstore and xenstore-utils (point them at it with XENSTORED_PATH). Every client is dom0.
/// Not shipped; see docs/design.md for the contract.
/// </summary>
public sealed class XenstoreServer : IDisposable
{
    // How long Dispose waits for each server thread after closing its socket; they end at once normally.
    private static readonly TimeSpan ShutdownWait = TimeSpan.FromSeconds(5);

    private readonly Socket listener;
    private readonly ChangeCallbacks callbacks = new();
    private readonly Store store;
    private readonly FaultInjection faults = new();
    private readonly RequestHandler handler;
    private readonly RequestLog requestLog = new();
    private readonly ServingThreads<Connection> servingThreads;
    private readonly Thread acceptor;
    // Open connections; a connection leaves when its thread has finished serving it.
    private readonly HashSet<Connection> connections = [];
    private readonly Lock connectionsGate = new();
    private long requestCount;
    private bool disposed;

    public string SocketPath { get; }

    /// <summary>How long each request waits before it is handled, and so answered (a slow xenstored).</summary>
    public TimeSpan ReplyDelay
    {
        get => faults.ReplyDelay;
        set => faults.ReplyDelay = value;
    }

    /// <summary>Requests received on all connections so far (including dropped ones).</summary>
    public long RequestCount => Interlocked.Read(ref requestCount);

    private XenstoreServer(string socketPath, Socket listener)
    {
        SocketPath = socketPath;
        this.listener = listener;
        store = new Store(new WatchRegistry(callbacks));
        handler = new RequestHandler(store, faults);
        servingThreads = new ServingThreads<Connection>(Serve);
        acceptor = new Thread(AcceptAll) { IsBackground = true, Name = "TestXenstored accept" };
    }

    /// <summary>Listens on a new socket at <paramref name="socketPath"/> (which must not exist yet).</summary>
    public static XenstoreServer Start(string socketPath)
    {
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(socketPath));
            listener.Listen(backlog: 256); // benchmarks connect 64 clients at once
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        var server = new XenstoreServer(socketPath, listener);
        server.acceptor.Start();
        return server;
    }

    /// <summary>
    /// Writes as a dom0 client would, outside any transaction: creates missing parents, fires watches.
    /// Relative paths are below /local/domain/0; an invalid path is an ArgumentException.
    /// </summary>
    public void Write(string path, string value)
    {
        string absolute = ResolveArgument(path);
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        lock (store.Gate)
            store.Change(tree => tree.Write(absolute, bytes));
    }

    /// <summary>The value as UTF-8, or null if the node does not exist.</summary>
    public string? Read(string path)
    {
        string absolute = ResolveArgument(path);
        lock (store.Gate)
            return store.Root.Find(absolute) is { } node ? Encoding.UTF8.GetString(node.Value) : null;
    }

    /// <summary>Removes the subtree like a client's RM; nothing happens if it does not exist.</summary>
    public void Remove(string path)
    {
        string absolute = ResolveArgument(path);
        if (absolute == "/")
            throw new ArgumentException("/ cannot be removed", nameof(path));
        lock (store.Gate)
        {
            if (store.Root.Find(absolute) is not null)
                store.Change(tree => tree.Remove(absolute));
        }
    }

    /// <summary>The child names, or null if the node does not exist.</summary>
    public IReadOnlyList<string>? List(string path)
    {
        string absolute = ResolveArgument(path);
        lock (store.Gate)
            return store.Root.Find(absolute)?.Children.Keys.ToList();
    }

    public bool Exists(string path)
    {
        string absolute = ResolveArgument(path);
        lock (store.Gate)
            return store.Root.Find(absolute) is not null;
    }

    /// <summary>
    /// Calls <paramref name="callback"/> with the changed path after each committed change at or below
    /// <paramref name="pathPrefix"/>, exactly when a watch there would fire. Callbacks run on one server
    /// thread, in commit order, outside the tree lock; they may call back into the server.
    /// Dispose the result to stop.
    /// </summary>
    public IDisposable OnChange(string pathPrefix, Action<string> callback)
    {
        string absolute = ResolveArgument(pathPrefix);
        var subscription = new ChangeSubscription(absolute, callback, Unsubscribe);
        lock (store.Gate)
            store.Watches.Add(subscription);
        return subscription;
    }

    /// <summary>The next <paramref name="count"/> commits (TRANSACTION_END "T") answer EAGAIN.</summary>
    public void FailNextCommits(int count) => faults.FailNextCommits(count);

    /// <summary>The next <paramref name="count"/> requests of this type close their connection, unanswered.</summary>
    public void DropConnectionOnNext(XsdType type, int count = 1) => faults.DropConnectionOnNext(type, count);

    /// <summary>
    /// The next <paramref name="count"/> requests of this type are applied, then their connection closes without
    /// the reply: a reply lost after the request was applied (a commit the client cannot know succeeded).
    /// </summary>
    public void LoseReplyOnNext(XsdType type, int count = 1) => faults.LoseReplyOnNext(type, count);

    /// <summary>
    /// Calls <paramref name="onRequest"/> with "TYPE tx=N ARG" (e.g. "READ tx=0 /local/domain/0/name": the
    /// xs_wire.h name without XS_, the transaction id, the first NUL-terminated argument) for every request
    /// as it arrives, before it is delayed, dropped or handled: the requests <see cref="RequestCount"/> counts.
    /// Runs on the thread serving the request's connection, so calls for different connections may overlap;
    /// a slow callback slows that connection. Dispose the result to stop.
    /// </summary>
    public IDisposable RecordRequests(Action<string> onRequest) => requestLog.Add(onRequest);

    public void Dispose()
    {
        lock (connectionsGate)
        {
            if (disposed)
                return;
            disposed = true;
            foreach (Connection connection in connections)
                connection.Dispose();
        }
        listener.Dispose(); // ends the blocked Accept
        // A thread that does not end in time is a background thread: it cannot keep the process alive.
        _ = servingThreads.Stop(ShutdownWait);
        _ = acceptor.Join(ShutdownWait);
        callbacks.Dispose();
        File.Delete(SocketPath);
    }

    private void Unsubscribe(ChangeSubscription subscription)
    {
        lock (store.Gate)
            store.Watches.Remove(subscription);
    }

    private static string ResolveArgument(string path)
    {
        try
        {
            return XenstorePath.Resolve(path);
        }
        catch (XsdException)
        {
            throw new ArgumentException($"invalid Xenstore path '{path}'", nameof(path));
        }
    }

    private void AcceptAll()
    {
        while (true)
        {
            Socket client;
            try
            {
                client = listener.Accept();
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException)
            {
                return; // Dispose closed the listener
            }
            var connection = new Connection(client);
            lock (connectionsGate)
            {
                if (disposed)
                {
                    connection.Dispose();
                    return;
                }
                connections.Add(connection);
                // Handed over under the lock: Dispose stops the serving threads only after it has set disposed.
                servingThreads.Serve(connection);
            }
        }
    }

    private void Serve(Connection connection)
    {
        while (connection.Receive() is { } request)
        {
            Interlocked.Increment(ref requestCount);
            requestLog.Record(request);
            if (faults.TakeDrop(request.Header.Type))
                break;
            TimeSpan delay = faults.ReplyDelay;
            if (delay > TimeSpan.Zero)
                Thread.Sleep(delay);
            bool loseReply = faults.TakeLostReply(request.Header.Type);
            connection.Muted = loseReply;
            lock (store.Gate)
                handler.Handle(connection, request);
            if (loseReply)
                break;
        }
        connection.Dispose();
        lock (store.Gate)
            store.Watches.RemoveAll(connection);
        _ = connection.WaitForWriter(ShutdownWait); // false only if the client stopped reading; the socket is closed
        lock (connectionsGate)
            connections.Remove(connection);
    }
}
