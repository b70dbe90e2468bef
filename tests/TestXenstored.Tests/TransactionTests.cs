using Xunit;

namespace TestXenstored.Tests;

public class TransactionTests
{
    [Fact]
    public void SecondCommitOfTheSameNodeIsEAGAIN()
    {
        using var xs = new ServerScope();
        xs.Server.Write("/t/node", "0");
        using RawClient a = xs.Connect();
        using RawClient b = xs.Connect();
        uint ta = a.StartTransaction();
        uint tb = b.StartTransaction();
        Assert.Equal("0", a.Call(XsdType.Read, ta, "/t/node"));
        Assert.Equal("0", b.Call(XsdType.Read, tb, "/t/node"));
        a.Write("/t/node", "a", ta);
        b.Write("/t/node", "b", tb);
        Assert.Null(a.EndTransaction(ta));
        Assert.Equal("EAGAIN", b.EndTransaction(tb));
        Assert.Equal("a", xs.Server.Read("/t/node"));
    }

    [Fact]
    public void ReadOnlyTransactionConflictsWhenWhatItReadChanged()
    {
        using var xs = new ServerScope();
        xs.Server.Write("/t/node", "0");
        using RawClient client = xs.Connect();
        uint tx = client.StartTransaction();
        client.Call(XsdType.Read, tx, "/t/node");
        xs.Server.Write("/t/node", "1");
        Assert.Equal("EAGAIN", client.EndTransaction(tx));
    }

    [Fact]
    public void ListingConflictsWithAChildAddedMeanwhile()
    {
        using var xs = new ServerScope();
        xs.Server.Write("/t/a", "");
        using RawClient client = xs.Connect();
        uint tx = client.StartTransaction();
        Assert.Equal("a", client.Call(XsdType.Directory, tx, "/t"));
        client.Write("/t/count", "1", tx);
        xs.Server.Write("/t/b", "");
        Assert.Equal("EAGAIN", client.EndTransaction(tx));
        Assert.False(xs.Server.Exists("/t/count"));
    }

    [Fact]
    public void DisjointTransactionsBothCommit()
    {
        using var xs = new ServerScope();
        xs.Server.Write("/t/x", "0");
        xs.Server.Write("/t/y", "0");
        using RawClient a = xs.Connect();
        using RawClient b = xs.Connect();
        uint ta = a.StartTransaction();
        uint tb = b.StartTransaction();
        a.Write("/t/x", "a", ta);
        b.Write("/t/y", "b", tb);
        Assert.Null(a.EndTransaction(ta));
        Assert.Null(b.EndTransaction(tb));
        Assert.Equal("a", xs.Server.Read("/t/x"));
        Assert.Equal("b", xs.Server.Read("/t/y"));
    }

    [Fact]
    public void TransactionSeesItsSnapshotAndItsOwnChangesOnly()
    {
        using var xs = new ServerScope();
        xs.Server.Write("/s/v", "before");
        using RawClient client = xs.Connect();
        uint tx = client.StartTransaction();
        xs.Server.Write("/s/v", "after");
        xs.Server.Write("/s/new", "n");
        Assert.Equal("before", client.Call(XsdType.Read, tx, "/s/v"));
        Assert.Equal("ENOENT", client.ErrorOf(XsdType.Read, tx, "/s/new"));
        client.Write("/s/mine", "m", tx);
        Assert.Equal("m", client.Call(XsdType.Read, tx, "/s/mine"));
        Assert.Null(xs.Server.Read("/s/mine"));
        Assert.Equal("ENOENT", client.ErrorOf(XsdType.Read, 0, "/s/mine"));
    }

    [Fact]
    public void AbortDiscardsTheChanges()
    {
        using var xs = new ServerScope();
        using RawClient client = xs.Connect();
        uint tx = client.StartTransaction();
        client.Write("/ab/x", "1", tx);
        Assert.Equal("OK", client.Call(XsdType.Rm, tx, "/tool"));
        Assert.Null(client.EndTransaction(tx, commit: false));
        Assert.False(xs.Server.Exists("/ab"));
        Assert.True(xs.Server.Exists("/tool"));
        Assert.Equal("ENOENT", client.EndTransaction(tx)); // it is gone
    }

    [Fact]
    public void CommitAppliesEveryKindOfChange()
    {
        using var xs = new ServerScope();
        xs.Server.Write("/c/old/child", "1");
        using RawClient client = xs.Connect();
        uint tx = client.StartTransaction();
        client.Write("/c/new", "v", tx);
        client.Call(XsdType.Mkdir, tx, "/c/dir");
        client.Call(XsdType.Rm, tx, "/c/old");
        client.Call(XsdType.SetPerms, tx, "/c/new", "r2");
        Assert.Null(client.EndTransaction(tx));
        Assert.Equal(["dir", "new"], xs.Server.List("/c"));
        Assert.Equal("v", xs.Server.Read("/c/new"));
        Assert.Equal("r2", client.Call(XsdType.GetPerms, 0, "/c/new"));
    }

    [Fact]
    public void WatchEventsArriveOnlyOnCommit()
    {
        using var xs = new ServerScope();
        // Both nodes exist, so neither write changes /ev's children and the transaction does not conflict.
        xs.Server.Write("/ev/in-tx", "0");
        xs.Server.Write("/ev/outside", "0");
        using RawClient watcher = xs.Connect();
        watcher.Watch("/ev", "t");
        using RawClient client = xs.Connect();
        uint tx = client.StartTransaction();
        client.Write("/ev/in-tx", "1", tx);
        client.Write("/ev/outside", "1");
        // Events leave in commit order: the write outside comes first although it was made second.
        Assert.Equal(("/ev/outside", "t"), watcher.NextEvent());
        Assert.Null(client.EndTransaction(tx));
        Assert.Equal(("/ev/in-tx", "t"), watcher.NextEvent());
    }

    [Fact]
    public void AbortedTransactionFiresNothing()
    {
        using var xs = new ServerScope();
        using RawClient watcher = xs.Connect();
        watcher.Watch("/ev", "t");
        using RawClient client = xs.Connect();
        uint tx = client.StartTransaction();
        client.Write("/ev/discarded", "1", tx);
        Assert.Null(client.EndTransaction(tx, commit: false));
        client.Write("/ev/after", "1");
        Assert.Equal(("/ev/after", "t"), watcher.NextEvent());
    }

    [Fact]
    public void UnknownTransactionIsENOENT()
    {
        using var xs = new ServerScope();
        using RawClient client = xs.Connect();
        Assert.Equal("ENOENT", client.ErrorOf(XsdType.Read, 4242, "/tool"));
        Assert.Equal("ENOENT", client.EndTransaction(4242));
        Assert.Equal("ENOENT", client.EndTransaction(0));
        using RawClient other = xs.Connect();
        uint tx = other.StartTransaction();
        Assert.Equal("ENOENT", client.ErrorOf(XsdType.Read, tx, "/tool")); // ids are per connection
    }

    [Fact]
    public void EndNeedsTOrF()
    {
        using var xs = new ServerScope();
        using RawClient client = xs.Connect();
        uint tx = client.StartTransaction();
        Assert.Equal("EINVAL", client.ErrorOf(XsdType.TransactionEnd, tx, "yes"));
        Assert.Null(client.EndTransaction(tx)); // still open after the bad request
    }

    [Fact]
    public void TransactionsDoNotNestAndIdsAreDistinct()
    {
        using var xs = new ServerScope();
        using RawClient client = xs.Connect();
        uint first = client.StartTransaction();
        Assert.Equal("EBUSY", client.ErrorOf(XsdType.TransactionStart, first, ""));
        uint second = client.StartTransaction();
        Assert.NotEqual(0u, first);
        Assert.NotEqual(first, second);
    }
}
