using System;
using System.Collections.Generic;
using System.Threading;

namespace TestXenstored;

/// <summary>
/// The threads that read and answer each connection's requests (<typeparamref name="T"/>), kept when their
/// connection ends to serve the next one: starting a thread costs 0.2-0.5 ms on a small VM, several times what
/// a whole short client session (one xenstore-read, as Xen's block script runs them) costs the server.
/// Threads of their own rather than the thread pool: tests that block thread-pool threads (waiting for the
/// tools they run) must not starve the server.
/// </summary>
internal sealed class ServingThreads<T>(Action<T> serve)
    where T : class
{
    // Idle threads kept for reuse: more than the largest burst of simultaneous clients (benchmarks connect 64
    // at once) would only hold memory, so a thread finding this many idle ends instead.
    private const int MaxIdle = 64;

    private readonly Action<T> serve = serve;
    private readonly Lock gate = new();
    private readonly Stack<ServingThread> idle = new();
    // Every thread not yet ended, for Stop to join.
    private readonly HashSet<Thread> running = [];
    private bool stopped;

    /// <summary>Threads waiting for a connection.</summary>
    public int IdleCount
    {
        get
        {
            lock (gate)
                return idle.Count;
        }
    }

    /// <summary>Serves the connection on an idle thread, or on a new one if none is idle.</summary>
    public void Serve(T connection)
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(stopped, this);
            if (idle.TryPop(out ServingThread? waiting))
            {
                waiting.Hand(connection);
                return;
            }
            var started = new ServingThread(this, connection);
            // Started under the lock: Stop joins every thread in the set, and Join on a thread that was never
            // started throws ThreadStateException.
            running.Add(started.Thread);
            started.Thread.Start();
        }
    }

    /// <summary>
    /// Ends idle threads and joins all, waiting at most <paramref name="timeout"/> for each; the caller has
    /// closed every connection, which ends the threads serving them. False if a thread did not end in time.
    /// </summary>
    public bool Stop(TimeSpan timeout)
    {
        Thread[] threads;
        lock (gate)
        {
            stopped = true;
            while (idle.TryPop(out ServingThread? waiting))
                waiting.Hand(null);
            threads = [.. running];
        }
        bool allEnded = true;
        foreach (Thread thread in threads)
            allEnded &= thread.Join(timeout);
        return allEnded;
    }

    /// <summary>Called by a thread whose connection has ended: whether it may wait for another one.</summary>
    private bool TryPark(ServingThread thread)
    {
        lock (gate)
        {
            if (stopped || idle.Count >= MaxIdle)
            {
                running.Remove(thread.Thread);
                return false;
            }
            idle.Push(thread);
            return true;
        }
    }

    private sealed class ServingThread
    {
        private readonly ServingThreads<T> owner;
        private readonly SemaphoreSlim handed = new(0);
        private T? next;

        public ServingThread(ServingThreads<T> owner, T first)
        {
            this.owner = owner;
            next = first;
            Thread = new Thread(Run) { IsBackground = true, Name = "TestXenstored reader" };
        }

        public Thread Thread { get; }

        /// <summary>Wakes the parked thread with its next connection, or null to end it.</summary>
        public void Hand(T? connection)
        {
            next = connection; // published to the woken thread by the semaphore
            handed.Release();
        }

        private void Run()
        {
            while (next is { } connection)
            {
                owner.serve(connection);
                next = null;
                if (!owner.TryPark(this))
                    return;
                handed.Wait();
            }
        }
    }
}
