using System;
using System.Diagnostics;
using System.Net.Sockets;
using System.Threading;

namespace TestXenstored;

/// <summary>
/// Before a connection's thread blocks for the next request, it polls the socket for a few microseconds:
/// clients send their next request (or close) right after reading a reply, and waking a thread that has gone
/// to sleep costs more than that on a VM whose idle vCPUs halt (Firecracker with guest halt-polling off: an
/// inter-processor interrupt through the host, ~20 us). Measured there, a libxenstore read took 30-45 us
/// without the poll and 20-24 us with it, about what the old writer thread's spinning gave by accident. The
/// real xenstored sleeps in epoll; the poll keeps this server near its 10-20 us a request on hardware rather
/// than adding the VM's wake-up to every request. It yields between polls, so a runnable client on the same
/// CPU goes first, and at most one thread per CPU beyond the first polls at a time, so many clients at once
/// do not lose their CPUs to it.
/// </summary>
internal static class ReceiveSpin
{
    // Covers the client's own wake-up (~20 us, above) plus its turnaround to the next request.
    private static readonly TimeSpan Limit = TimeSpan.FromMicroseconds(30);
    private static readonly int MaxPolling = Environment.ProcessorCount - 1;
    private static int polling;

    /// <summary>Returns once the socket is readable (data or end of stream) or the time is up.</summary>
    public static void WaitBriefly(Socket socket)
    {
        try
        {
            if (Interlocked.Increment(ref polling) > MaxPolling)
                return; // others poll already: block at once
            long start = Stopwatch.GetTimestamp();
            while (!socket.Poll(0, SelectMode.SelectRead) && Stopwatch.GetElapsedTime(start) < Limit)
                _ = Thread.Yield(); // false when nothing else wants this CPU: poll again
        }
        finally
        {
            Interlocked.Decrement(ref polling);
        }
    }
}
