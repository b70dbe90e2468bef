using System;
using BlockDiskseq.Backend;
using XenstoreInterop;

namespace BlockDiskseq.Blkback;

/// <summary>
/// The nodes BlkbackWait judges (state, opened, blkback's error): state and opened are read again only after a
/// watch event names them, the error node only once the state says blkback gave up (BlkbackWait.CheckNotFailed).
/// A node not read yet is unknown, not missing: its watch's first event is still on its way.
/// </summary>
internal sealed class WatchedNodes(BackendPath be, bool watchOpened)
{
    public WatchedNode State { get; } = new(be.Node(BackendNodes.State));
    public WatchedNode Opened { get; } = new(be.Node(BackendNodes.Opened));
    public WatchedNode Error { get; } = new(be.BlkbackErrorNode);

    /// <summary>
    /// Marks what an event at <paramref name="path"/> may have changed. The backend directory itself is named
    /// by its watch's first event and when it is removed: both mean "read state (and opened) again".
    /// </summary>
    public void Changed(string path)
    {
        if (path == be.Path)
        {
            State.Stale = true;
            Opened.Stale = watchOpened;
        }
        else if (path == State.Path)
            State.Stale = true;
        else if (path == Opened.Path)
            Opened.Stale = watchOpened;
    }

    /// <summary>After a new connection: every node may have changed unseen.</summary>
    public void MarkAllStale()
    {
        State.Stale = true;
        Opened.Stale = watchOpened;
    }
}

internal sealed class WatchedNode(string path)
{
    public string Path { get; } = path;
    public bool Stale { get; set; }
    /// <summary>False until the first read: an unknown node proves nothing either way.</summary>
    public bool Known { get; private set; }
    public string? Value { get; private set; }

    /// <summary>True if it read the node (it was stale).</summary>
    public bool ReadIfStale(Xenstore xs)
    {
        if (!Stale)
            return false;
        Read(xs);
        return true;
    }

    public void Read(Xenstore xs)
    {
        Value = xs.TryRead(Path);
        Known = true;
        Stale = false;
    }
}
