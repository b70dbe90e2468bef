using System;
using XenstoreInterop;

namespace BlockDiskseq.Flow;

/// <summary>
/// The nodes BlkbackWait judges (state, opened, blkback's error), each read again only after a watch event
/// names it. A node not read yet is unknown, not missing: its watch's first event is still on its way.
/// </summary>
internal sealed class WatchedNodes(BackendPath be, bool watchOpened)
{
    private readonly WatchedNode state = new(be.Node(BackendNodes.State));
    private readonly WatchedNode opened = new(be.Node(BackendNodes.Opened));
    private readonly WatchedNode error = new(be.BlkbackErrorNode);

    public WatchedNode State => state;
    public WatchedNode Opened => opened;
    public WatchedNode Error => error;

    /// <summary>
    /// Marks what an event at <paramref name="path"/> may have changed. The backend directory itself is named
    /// by its watch's first event and when it is removed: both mean "read state (and opened) again".
    /// </summary>
    public void Changed(string path)
    {
        if (path == be.Path)
        {
            state.Stale = true;
            opened.Stale = watchOpened;
        }
        else if (path == state.Path)
            state.Stale = true;
        else if (path == opened.Path)
            opened.Stale = watchOpened;
        else if (path == error.Path || path.StartsWith(error.Path + "/", StringComparison.Ordinal))
            error.Stale = true;
    }

    public void ReadStale(Xenstore xs)
    {
        state.ReadIfStale(xs);
        opened.ReadIfStale(xs);
        error.ReadIfStale(xs);
    }
}

internal sealed class WatchedNode(string path)
{
    public string Path { get; } = path;
    public bool Stale { get; set; }
    /// <summary>False until the first read: an unknown node proves nothing either way.</summary>
    public bool Known { get; private set; }
    public string? Value { get; private set; }

    public void ReadIfStale(Xenstore xs)
    {
        if (Stale)
            Read(xs);
    }

    public void Read(Xenstore xs)
    {
        Value = xs.TryRead(Path);
        Known = true;
        Stale = false;
    }
}
