using Xunit;

namespace TestXenstored.Tests;

public class WatchTests
{
    [Fact]
    public void XenstoreWatchSeesItsPathThenChangesBelowIt()
    {
        using var xs = new ServerScope();
        xs.Server.Write("/w", "");
        using var watch = new WatchProcess(xs.SocketPath, "/w", events: 5);
        Assert.Equal("/w", watch.NextLine());
        xs.Succeed("write", "/w/a", "1");
        Assert.Equal("/w/a", watch.NextLine());
        xs.Succeed("write", "/elsewhere", "1");
        xs.Succeed("write", "/w/sub/deep", "2");
        Assert.Equal("/w/sub/deep", watch.NextLine()); // not /elsewhere, nor the created /w/sub
        xs.Succeed("rm", "/w/a");
        Assert.Equal("/w/a", watch.NextLine());
        xs.Succeed("write", "/w", "x");
        Assert.Equal("/w", watch.NextLine());
        Assert.Equal(0, watch.WaitForExit());
    }

    [Fact]
    public void RelativeWatchReportsRelativePaths()
    {
        using var xs = new ServerScope();
        using var watch = new WatchProcess(xs.SocketPath, "backend/vbd", events: 2);
        Assert.Equal("backend/vbd", watch.NextLine());
        xs.Server.Write("/local/domain/0/backend/vbd/1/51712/state", "2");
        Assert.Equal("backend/vbd/1/51712/state", watch.NextLine());

        using RawClient client = xs.Connect();
        client.Watch("dev", "rel");
        client.Write("dev/x", "1");
        Assert.Equal(("dev/x", "rel"), client.NextEvent());
    }

    [Fact]
    public void RemovalFiresItsRootUpwardAndDescendantsOnlyOnExactWatches()
    {
        using var xs = new ServerScope();
        xs.Server.Write("/r/a/b/c", "1");
        using RawClient client = xs.Connect();
        client.Watch("/r", "up");
        client.Watch("/r/a/b", "exact");
        client.Watch("/r/a/b/c/never", "absent");
        Assert.Equal("OK", client.Call(XsdType.Rm, 0, "/r/a"));
        Assert.Equal(("/r/a/b", "exact"), client.NextEvent());
        Assert.Equal(("/r/a", "up"), client.NextEvent());
        client.Write("/r/z", "");
        Assert.Equal(("/r/z", "up"), client.NextEvent()); // nothing else came in between
    }

    [Fact]
    public void MkdirAndSetPermsFireButMkdirOfAnExistingNodeDoesNot()
    {
        using var xs = new ServerScope();
        xs.Server.Write("/m/existing", "");
        using RawClient client = xs.Connect();
        client.Watch("/m", "t");
        client.Call(XsdType.Mkdir, 0, "/m/existing");
        client.Call(XsdType.Mkdir, 0, "/m/new");
        Assert.Equal(("/m/new", "t"), client.NextEvent());
        client.Call(XsdType.SetPerms, 0, "/m/existing", "r0");
        Assert.Equal(("/m/existing", "t"), client.NextEvent());
    }

    [Fact]
    public void WatchOnRootSeesEverything()
    {
        using var xs = new ServerScope();
        using RawClient client = xs.Connect();
        client.Watch("/", "all");
        xs.Server.Write("/any/where", "");
        Assert.Equal(("/any/where", "all"), client.NextEvent());
    }

    [Fact]
    public void DuplicateWatchIsEEXISTAndUnknownUnwatchIsENOENT()
    {
        using var xs = new ServerScope();
        using RawClient client = xs.Connect();
        client.Watch("/d", "t");
        Assert.Equal("EEXIST", client.ErrorOf(XsdType.Watch, 0, "/d", "t"));
        client.Watch("/d", "other-token");
        Assert.Equal("ENOENT", client.ErrorOf(XsdType.Unwatch, 0, "/d", "nope"));
        Assert.Equal("OK", client.Call(XsdType.Unwatch, 0, "/d", "t"));
        Assert.Equal("ENOENT", client.ErrorOf(XsdType.Unwatch, 0, "/d", "t"));
        xs.Server.Write("/d", "1");
        Assert.Equal(("/d", "other-token"), client.NextEvent()); // the removed watch stays silent
        client.Watch("/d", "t"); // and may be set again
    }

    [Fact]
    public void ResetWatchesDropsEveryWatchOfTheConnection()
    {
        using var xs = new ServerScope();
        using RawClient client = xs.Connect();
        client.Watch("/old", "t");
        Assert.Equal("OK", client.Call(XsdType.ResetWatches, 0, ""));
        client.Watch("/new", "t");
        xs.Server.Write("/old", "");
        xs.Server.Write("/new", "");
        Assert.Equal(("/new", "t"), client.NextEvent());
    }

    [Fact]
    public void SpecialDomainWatchesFireOnIntroduceAndReleaseOnly()
    {
        using var xs = new ServerScope();
        using RawClient client = xs.Connect();
        client.Watch("@introduceDomain", "in");
        client.Watch("@releaseDomain", "out");
        client.Watch("/marker", "m");
        xs.Server.Write("/marker", "1");
        Assert.Equal(("/marker", "m"), client.NextEvent());
        Assert.Equal("F", client.Call(XsdType.IsDomainIntroduced, 0, "7"));
        client.Call(XsdType.Introduce, 0, "7", "1234", "5");
        Assert.Equal(("@introduceDomain", "in"), client.NextEvent());
        Assert.Equal("T", client.Call(XsdType.IsDomainIntroduced, 0, "7"));
        client.Call(XsdType.Release, 0, "7");
        Assert.Equal(("@releaseDomain", "out"), client.NextEvent());
        Assert.Equal("F", client.Call(XsdType.IsDomainIntroduced, 0, "7"));
        Assert.Equal("T", client.Call(XsdType.IsDomainIntroduced, 0, "0"));
    }

    [Fact]
    public void EventsReachEveryWatchingConnection()
    {
        using var xs = new ServerScope();
        using RawClient first = xs.Connect();
        using RawClient second = xs.Connect();
        first.Watch("/shared", "1");
        second.Watch("/shared/x", "2");
        using RawClient writer = xs.Connect();
        writer.Write("/shared/x", "v");
        Assert.Equal(("/shared/x", "1"), first.NextEvent());
        Assert.Equal(("/shared/x", "2"), second.NextEvent());
    }

    [Fact]
    public void AClientThatDoesNotReadStallsNeitherTheServerNorItsOwnEvents()
    {
        // Far more than its socket buffer holds (each small message is charged ~1 KiB against ~200 KiB), so
        // most events wait in the server while the client does not read.
        const int events = 2000;
        using var xs = new ServerScope();
        xs.Server.Write("/flood", "");
        using RawClient stalled = xs.Connect();
        stalled.Watch("/flood", "t");
        using RawClient writer = xs.Connect();
        for (int i = 0; i < events; i++)
            writer.Write($"/flood/{i}", ""); // each reply shows the server still answers
        // Its own reply comes after everything queued before it, and no message is cut in two.
        Assert.Equal("OK", stalled.Call(XsdType.Unwatch, 0, "/flood", "t"));
        for (int i = 0; i < events; i++)
            Assert.Equal(($"/flood/{i}", "t"), stalled.NextEvent());
    }
}
