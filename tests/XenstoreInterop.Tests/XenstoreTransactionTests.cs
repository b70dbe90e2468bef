using System;
using Xunit;

namespace XenstoreInterop.Tests;

[Collection(XenstoredPathCollection.Name)]
public sealed class XenstoreTransactionTests : ConnectedTests
{
    private const int EAGAIN = 11;

    [Fact]
    public void Transact_CommitsAllWritesAtOnce()
    {
        bool visibleBeforeCommit = true;
        Client.Transact(tx =>
        {
            Client.Write("/test/tx/a", "1", tx);
            Client.Write("/test/tx/b", "2", tx);
            visibleBeforeCommit = Server.Exists("/test/tx/a");
        });

        Assert.False(visibleBeforeCommit);
        Assert.Equal(("1", "2"), (Server.Read("/test/tx/a"), Server.Read("/test/tx/b")));
    }

    [Fact]
    public void Transact_ReturnsTheBodysResult()
    {
        Server.Write("/test/tx/value", "42");
        Assert.Equal("42", Client.Transact(tx => Client.Read("/test/tx/value", tx)));
    }

    [Fact]
    public void Transact_CommitFailsWithEagainThreeTimes_RunsBodyFourTimesAndCommits()
    {
        Server.FailNextCommits(3);
        int runs = 0;

        Client.Transact(tx => Client.Write("/test/tx/v", $"run {++runs}", tx));

        Assert.Equal(4, runs);
        Assert.Equal("run 4", Server.Read("/test/tx/v"));
    }

    [Fact]
    public void Transact_CommitKeepsFailing_ThrowsEagainWithAttemptCount()
    {
        Server.FailNextCommits(1000);
        int runs = 0;

        var e = Assert.Throws<XenstoreException>(
            () => Client.Transact(tx => Client.Write("/test/tx/v", $"run {++runs}", tx)));

        Assert.Equal(EAGAIN, e.Errno);
        Assert.Equal(Xenstore.DefaultTransactionAttempts, runs);
        Assert.Equal($"xs_transaction_end: Resource temporarily unavailable (EAGAIN) after {runs} attempts", e.Message);
        Assert.False(Server.Exists("/test/tx/v"));
    }

    [Fact]
    public void Transact_MaxAttempts_BoundsTheRuns()
    {
        Server.FailNextCommits(1000);
        int runs = 0;
        Assert.Throws<XenstoreException>(() => Client.Transact(_ => runs++, maxAttempts: 2));
        Assert.Equal(2, runs);
    }

    // A real conflict, detected by the server: another connection changes what the body read.
    [Fact]
    public void Transact_ConcurrentChangeOfReadNode_RetriesWithTheNewValue()
    {
        Server.Write("/test/tx/counter", "1");
        using var other = OpenAnother();
        int runs = 0;

        Client.Transact(tx =>
        {
            int counter = int.Parse(Client.Read("/test/tx/counter", tx));
            if (++runs == 1)
                other.Write("/test/tx/counter", "10");
            Client.Write("/test/tx/counter", (counter + 1).ToString(), tx);
        });

        Assert.Equal(2, runs);
        Assert.Equal("11", Server.Read("/test/tx/counter"));
    }

    [Fact]
    public void Transact_BodyThrows_AbortsAndPassesTheExceptionOn()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Client.Transact(tx =>
        {
            Client.Write("/test/tx/never", "1", tx);
            throw new InvalidOperationException("body failed");
        }));

        Assert.Equal("body failed", e.Message);
        Assert.False(Server.Exists("/test/tx/never"));
        Client.Write("/test/tx/after", "ok");  // the connection is still fine
        Assert.Equal("ok", Server.Read("/test/tx/after"));
    }

    [Fact]
    public void Transaction_UsedAfterItsBody_IsRejected()
    {
        XenstoreTransaction? escaped = null;
        Client.Transact(tx => escaped = tx);
        Assert.Throws<InvalidOperationException>(() => Client.Write("/test/tx/late", "1", escaped));
    }

    [Fact]
    public void Transaction_UsedOnAnotherConnection_IsRejected()
    {
        using var other = OpenAnother();
        Client.Transact(tx => Assert.Throws<ArgumentException>(() => other.Write("/test/tx/x", "1", tx)));
    }
}
