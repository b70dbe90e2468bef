using System;
using System.Diagnostics;
using Xunit;

namespace TestXenstored.Tests;

public class FaultInjectionTests
{
    [Fact]
    public void FailedCommitsMakeXenstoreWriteRetryAndSucceed()
    {
        using var xs = new ServerScope();
        // xenstore-write uses a transaction only for more than one pair (xenstore_client.c 4.17).
        long before = xs.Server.RequestCount;
        xs.Succeed("write", "/f", "once", "/g", "once");
        long perAttempt = xs.Server.RequestCount - before; // start, two writes, end
        Assert.Equal(4, perAttempt);

        xs.Server.FailNextCommits(3);
        before = xs.Server.RequestCount;
        xs.Succeed("write", "/f", "retried", "/g", "retried");
        Assert.Equal("retried", xs.Server.Read("/f"));
        Assert.Equal(4 * perAttempt, xs.Server.RequestCount - before);
    }

    [Fact]
    public void FailedCommitIsEAGAINAndAppliesNothing()
    {
        using var xs = new ServerScope();
        xs.Server.FailNextCommits(1);
        using RawClient client = xs.Connect();
        uint tx = client.StartTransaction();
        client.Write("/f", "lost", tx);
        Assert.Equal("EAGAIN", client.EndTransaction(tx));
        Assert.False(xs.Server.Exists("/f"));
        tx = client.StartTransaction();
        client.Write("/f", "kept", tx);
        Assert.Null(client.EndTransaction(tx));
        Assert.Equal("kept", xs.Server.Read("/f"));
    }

    [Fact]
    public void DroppedConnectionMakesXenstoreReadFailCleanly()
    {
        using var xs = new ServerScope();
        xs.Server.Write("/d", "v");
        xs.Server.DropConnectionOnNext(XsdType.Read);
        ToolResult dropped = xs.Tool("read", "/d");
        Assert.NotEqual(0, dropped.ExitCode);
        Assert.Contains("couldn't read path /d", dropped.Stderr);
        Assert.Equal("v\n", xs.Succeed("read", "/d")); // only the next one was dropped
    }

    [Fact]
    public void DropClosesWithoutReplyAndCountsDown()
    {
        using var xs = new ServerScope();
        xs.Server.DropConnectionOnNext(XsdType.Write, count: 2);
        for (int i = 0; i < 2; i++)
        {
            using RawClient client = xs.Connect();
            Assert.Equal("domain", client.Call(XsdType.Directory, 0, "/local")); // other types pass
            client.Send(XsdType.Write, RawClient.Strings("/x", "1"));
            Assert.Null(client.ReceiveAny());
        }
        Assert.False(xs.Server.Exists("/x"));
        using RawClient last = xs.Connect();
        last.Write("/x", "1");
    }

    [Fact]
    public void ReplyDelayHoldsEachReplyBack()
    {
        using var xs = new ServerScope();
        xs.Server.ReplyDelay = TimeSpan.FromMilliseconds(200);
        using RawClient client = xs.Connect();
        var clock = Stopwatch.StartNew();
        client.Call(XsdType.Directory, 0, "/");
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(200), $"reply after {clock.Elapsed}");
    }

    [Fact]
    public void RequestCountCountsEveryRequest()
    {
        using var xs = new ServerScope();
        using RawClient client = xs.Connect();
        for (int i = 0; i < 5; i++)
            client.Call(XsdType.Directory, 0, "/");
        client.ErrorOf(XsdType.Read, 0, "/absent");
        Assert.Equal(6, xs.Server.RequestCount);
    }
}
