using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Xunit;

namespace TestXenstored.Tests;

public class ServingThreadsTests
{
    // Bounds a wait for something that takes microseconds, so a broken pool fails instead of hanging.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public void OneConnectionAfterAnotherReusesTheSameThread()
    {
        using var servedOn = new BlockingCollection<int>();
        var threads = new ServingThreads<object>(_ => servedOn.Add(Environment.CurrentManagedThreadId));
        var threadIds = new List<int>();
        for (int i = 0; i < 5; i++)
        {
            threads.Serve(new object());
            Assert.True(servedOn.TryTake(out int threadId, Patience));
            threadIds.Add(threadId);
            Assert.True(SpinWait.SpinUntil(() => threads.IdleCount == 1, Patience), "the thread did not park");
        }
        Assert.True(threads.Stop(Patience));
        Assert.Single(threadIds.Distinct());
        Assert.NotEqual(Environment.CurrentManagedThreadId, threadIds[0]);
    }

    [Fact]
    public void SimultaneousConnectionsGetThreadsOfTheirOwn()
    {
        const int connections = 3;
        using var allInside = new Barrier(connections);
        int metOthers = 0;
        // Each serve waits until all are being served at once: a pool that served them one by one would time out.
        var threads = new ServingThreads<object>(_ =>
        {
            if (allInside.SignalAndWait(Patience))
                Interlocked.Increment(ref metOthers);
        });
        for (int i = 0; i < connections; i++)
            threads.Serve(new object());
        Assert.True(SpinWait.SpinUntil(() => threads.IdleCount == connections, Patience), "threads did not park");
        Assert.Equal(connections, metOthers);
        Assert.True(threads.Stop(Patience));
    }

    [Fact]
    public void StopEndsIdleThreadsAndRefusesMoreConnections()
    {
        using var served = new CountdownEvent(2);
        var threads = new ServingThreads<object>(_ => served.Signal());
        threads.Serve(new object());
        threads.Serve(new object());
        Assert.True(served.Wait(Patience));
        Assert.True(threads.Stop(Patience));
        Assert.Throws<ObjectDisposedException>(() => threads.Serve(new object()));
    }
}
