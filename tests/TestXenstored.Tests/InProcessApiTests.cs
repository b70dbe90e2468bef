using System;
using System.Collections.Concurrent;
using Xunit;

namespace TestXenstored.Tests;

public class InProcessApiTests
{
    [Fact]
    public void InProcessAccessSeesClientWritesAndClientsSeeIt()
    {
        using var xs = new ServerScope();
        xs.Server.Write("/i/v", "from test");
        Assert.Equal("from test\n", xs.Succeed("read", "/i/v"));
        xs.Succeed("write", "/i/w", "from tool");
        Assert.Equal("from tool", xs.Server.Read("/i/w"));
        Assert.Equal(["v", "w"], xs.Server.List("/i"));
        Assert.Null(xs.Server.List("/absent"));
        Assert.Null(xs.Server.Read("/absent"));
    }

    [Fact]
    public void InProcessWritesFireClientWatches()
    {
        using var xs = new ServerScope();
        using RawClient client = xs.Connect();
        client.Watch("/i", "t");
        xs.Server.Write("/i/a", "1");
        xs.Server.Remove("/i/a");
        Assert.Equal(("/i/a", "t"), client.NextEvent());
        Assert.Equal(("/i/a", "t"), client.NextEvent());
    }

    [Theory]
    [InlineData("/a//b")]
    [InlineData("/trailing/")]
    [InlineData("@introduceDomain")]
    public void InvalidPathIsAnArgumentException(string path)
    {
        using var xs = new ServerScope();
        Assert.Throws<ArgumentException>(() => xs.Server.Write(path, ""));
        Assert.Throws<ArgumentException>(() => xs.Server.Read(path));
        Assert.Throws<ArgumentException>(() => xs.Server.OnChange(path, _ => { }));
    }

    [Fact]
    public void OnChangeReportsCommittedChangesAtOrBelowThePrefixInOrder()
    {
        using var xs = new ServerScope();
        using var log = new ChangeLog();
        using IDisposable subscription = xs.Server.OnChange("/backend", log.Add);
        xs.Succeed("write", "/backend/vbd/1/state", "2", "/frontend/x", "1", "/backend", "");
        xs.Server.Remove("/backend/vbd");
        Assert.Equal("/backend/vbd/1/state", log.Next());
        Assert.Equal("/backend", log.Next());
        Assert.Equal("/backend/vbd", log.Next());
        xs.Server.Write("/backend/last", "");
        Assert.Equal("/backend/last", log.Next());
    }

    [Fact]
    public void OnChangeWaitsForTheCommit()
    {
        using var xs = new ServerScope();
        xs.Server.Write("/in-tx", "0"); // so the transaction's write does not conflict with /direct's creation
        using var log = new ChangeLog();
        using IDisposable subscription = xs.Server.OnChange("/", log.Add);
        using RawClient client = xs.Connect();
        uint tx = client.StartTransaction();
        client.Write("/in-tx", "1", tx);
        xs.Server.Write("/direct", "1");
        Assert.Equal("/direct", log.Next());
        Assert.Null(client.EndTransaction(tx));
        Assert.Equal("/in-tx", log.Next());
    }

    [Fact]
    public void CallbackMayWriteToTheServer()
    {
        using var xs = new ServerScope();
        using var log = new ChangeLog();
        // What a blkback emulator does: answer a frontend change by writing the backend state.
        using IDisposable emulator = xs.Server.OnChange("/fe", path => xs.Server.Write("/be/state", "4"));
        using IDisposable watcher = xs.Server.OnChange("/be", log.Add);
        xs.Succeed("write", "/fe/state", "1");
        Assert.Equal("/be/state", log.Next());
        Assert.Equal("4\n", xs.Succeed("read", "/be/state"));
    }

    [Fact]
    public void DisposedSubscriptionIsNotCalledAgain()
    {
        using var xs = new ServerScope();
        using var stopped = new ChangeLog();
        using var barrier = new ChangeLog();
        IDisposable first = xs.Server.OnChange("/s", stopped.Add);
        using IDisposable second = xs.Server.OnChange("/s", barrier.Add);
        xs.Server.Write("/s", "1");
        Assert.Equal("/s", stopped.Next());
        Assert.Equal("/s", barrier.Next());
        first.Dispose();
        xs.Server.Write("/s", "2");
        Assert.Equal("/s", barrier.Next()); // callbacks run in order: the first would have come before
        Assert.Equal(0, stopped.Pending);
    }

    [Fact]
    public void FailingCallbackDoesNotStopLaterOnes()
    {
        using var xs = new ServerScope();
        using var log = new ChangeLog();
        using IDisposable failing = xs.Server.OnChange("/", _ => throw new InvalidOperationException("test callback fails"));
        using IDisposable working = xs.Server.OnChange("/", log.Add);
        xs.Server.Write("/one", "");
        xs.Server.Write("/two", "");
        Assert.Equal("/one", log.Next());
        Assert.Equal("/two", log.Next());
    }

    [Fact]
    public void DisposeClosesClientsAndRemovesTheSocket()
    {
        var xs = new ServerScope();
        string socketPath = xs.SocketPath;
        using RawClient client = xs.Connect();
        client.Call(XsdType.Directory, 0, "/");
        xs.Server.Dispose();
        Assert.Null(client.ReceiveAny());
        Assert.False(System.IO.File.Exists(socketPath));
        xs.Dispose(); // disposes the server a second time, harmlessly
    }

    [Fact]
    public void RecordRequestsDescribesEachRequestUntilDisposed()
    {
        using var xs = new ServerScope();
        using RawClient client = xs.Connect();
        var lines = new ConcurrentQueue<string>();
        uint tx;
        using (xs.Server.RecordRequests(lines.Enqueue))
        {
            tx = client.StartTransaction();
            client.Write("/r/x", "value", tx);
            client.Call(XsdType.Read, tx, "/r/x");
            Assert.Null(client.EndTransaction(tx));
            client.Watch("backend", "token");
            Assert.Equal("ENOSYS", client.ErrorOf((XsdType)99, 0, "odd"));
        }
        client.Call(XsdType.Directory, 0, "/");
        Assert.Equal(
            [
                "TRANSACTION_START tx=0",
                $"WRITE tx={tx} /r/x",
                $"READ tx={tx} /r/x",
                $"TRANSACTION_END tx={tx} T",
                "WATCH tx=0 backend",
                "99 tx=0 odd",
            ],
            lines);
    }

    [Fact]
    public void AFailingRequestRecorderDoesNotDisturbTheClient()
    {
        using var xs = new ServerScope();
        using RawClient client = xs.Connect();
        var lines = new ConcurrentQueue<string>();
        using IDisposable failing = xs.Server.RecordRequests(_ => throw new InvalidOperationException("recorder"));
        using IDisposable working = xs.Server.RecordRequests(lines.Enqueue);
        Assert.Equal("domain", client.Call(XsdType.Directory, 0, "/local"));
        Assert.Equal(["DIRECTORY tx=0 /local"], lines);
    }
}
