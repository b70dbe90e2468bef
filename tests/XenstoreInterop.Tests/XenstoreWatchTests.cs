using System;
using System.Diagnostics;
using System.Threading;
using Xunit;

namespace XenstoreInterop.Tests;

[Collection(XenstoredPathCollection.Name)]
public sealed class XenstoreWatchTests : ConnectedTests
{
    // Long enough never to expire on a loaded machine when an event is due; only reached on failure.
    private static readonly TimeSpan EventDue = TimeSpan.FromSeconds(30);
    // How long to wait for an event that must not come.
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(200);

    [Fact]
    public void Watch_FiresOnceAtRegistration()
    {
        Client.Watch("/test/w", "token");

        Assert.Equal(new XenstoreWatchEvent("/test/w", "token"), Client.WaitForWatchEvent(EventDue));
        Assert.Null(Client.WaitForWatchEvent(Quiet));
    }

    [Fact]
    public void Watch_WriteBelowPath_Fires()
    {
        WatchPastRegistrationEvent("/test/w", "token");

        Server.Write("/test/w/child", "1");

        Assert.Equal(new XenstoreWatchEvent("/test/w/child", "token"), Client.WaitForWatchEvent(EventDue));
    }

    [Fact]
    public void Watch_RelativePath_ReportsRelativePaths()
    {
        Client.Watch("xsi-w", "rel");
        Assert.Equal(new XenstoreWatchEvent("xsi-w", "rel"), Client.WaitForWatchEvent(EventDue));

        Server.Write("/local/domain/0/xsi-w/a", "1");

        Assert.Equal(new XenstoreWatchEvent("xsi-w/a", "rel"), Client.WaitForWatchEvent(EventDue));
    }

    [Fact]
    public void WaitForWatchEvent_NothingFires_ReturnsNullAtTheTimeout()
    {
        WatchPastRegistrationEvent("/test/w", "token");
        var timeout = TimeSpan.FromMilliseconds(300);
        var clock = Stopwatch.StartNew();

        var fired = Client.WaitForWatchEvent(timeout);

        Assert.Null(fired);
        Assert.InRange(clock.Elapsed, timeout - TimeSpan.FromMilliseconds(1), EventDue);
    }

    [Fact]
    public void WaitForWatchEvent_InfiniteTimeout_ReturnsQueuedEvent()
    {
        Client.Watch("/test/w", "token");
        Assert.NotNull(Client.WaitForWatchEvent(Timeout.InfiniteTimeSpan));
    }

    [Fact]
    public void WaitForWatchEvent_NoWatch_ReturnsNullAtTheTimeout()
    {
        Assert.Null(Client.WaitForWatchEvent(Quiet));
    }

    [Fact]
    public void Unwatch_StopsEvents()
    {
        WatchPastRegistrationEvent("/test/w", "token");

        Client.Unwatch("/test/w", "token");
        Server.Write("/test/w/child", "1");

        Assert.Null(Client.WaitForWatchEvent(Quiet));
    }

    [Fact]
    public void Unwatch_UnknownWatch_ThrowsEnoent()
    {
        var e = Assert.Throws<XenstoreException>(() => Client.Unwatch("/test/w", "never"));
        Assert.Equal(("xs_unwatch", 2), (e.Call, e.Errno));
    }

    private void WatchPastRegistrationEvent(string path, string token)
    {
        Client.Watch(path, token);
        Assert.Equal(new XenstoreWatchEvent(path, token), Client.WaitForWatchEvent(EventDue));
    }
}
