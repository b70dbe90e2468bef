using System;
using System.Threading.Tasks;
using TestXenstored;
using Xunit;

namespace XenstoreInterop.Tests;

/// <summary>The daemon closes the socket instead of answering: every call must fail, not hang or crash.</summary>
[Collection(XenstoredPathCollection.Name)]
public sealed class XenstoreConnectionLossTests : ConnectedTests
{
    // Only reached if libxenstore hangs, which is the failure these tests look for.
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(30);

    [Fact]
    public void Read_ConnectionDropped_ThrowsXenstoreException()
    {
        Server.Write("/test/drop", "1");
        Server.DropConnectionOnNext(XsdType.Read);

        var e = FailsWithin(() => Client.TryRead("/test/drop"));

        Assert.Equal(("xs_read", "/test/drop"), (e.Call, e.Path));
    }

    // After xs_watch, libxenstore reads the socket on its own thread; replies reach the caller through it.
    [Fact]
    public void Write_ConnectionDroppedWhileWatching_ThrowsXenstoreException()
    {
        Client.Watch("/test/w", "token");
        Server.DropConnectionOnNext(XsdType.Write);

        var e = FailsWithin(() => Client.Write("/test/drop", "1"));

        Assert.Equal("xs_write", e.Call);
    }

    [Fact]
    public void Transact_ConnectionDroppedAtCommit_ThrowsXenstoreException()
    {
        Server.DropConnectionOnNext(XsdType.TransactionEnd);

        var e = FailsWithin(() => Client.Transact(tx => Client.Write("/test/drop", "1", tx)));

        Assert.Equal("xs_transaction_end", e.Call);
        Assert.False(Server.Exists("/test/drop"));
    }

    private static XenstoreException FailsWithin(Action call)
    {
        var attempt = Task.Run(call);
        Assert.True(Task.WaitAny([attempt], HangLimit) == 0, "the call hung after the connection was dropped");
        return Assert.IsType<XenstoreException>(attempt.Exception?.InnerException);
    }
}
