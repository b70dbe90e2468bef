namespace BlockDiskseq.Backend;

/// <summary>The backend's <c>state</c> node (docs/protocol-facts.md §9), written in decimal.</summary>
internal enum XenbusState
{
    Unknown = 0,
    Initialising = 1,
    /// <summary>blkback waits for physical-device; libxl runs add only now.</summary>
    InitWait = 2,
    Initialised = 3,
    Connected = 4,
    Closing = 5,
    Closed = 6,
    Reconfiguring = 7,
    Reconfigured = 8,
}

internal static class XenbusStates
{
    /// <summary>The node's text as a state: one decimal digit 0-8, as Xen writes it; null for anything else or a missing node.</summary>
    internal static XenbusState? Parse(string? text)
        => text is { Length: 1 } && text[0] is >= '0' and <= '8' ? (XenbusState)(text[0] - '0') : null;

    /// <summary>Closing or Closed: the toolstack is tearing the device down.</summary>
    internal static bool IsTearingDown(string? text) => Parse(text) is XenbusState.Closing or XenbusState.Closed;

    /// <summary>The name in xenbus.h without the XenbusState prefix, for status.</summary>
    internal static string Name(string text) => Parse(text) switch
    {
        XenbusState.Unknown => "Unknown",
        XenbusState.Initialising => "Initialising",
        XenbusState.InitWait => "InitWait",
        XenbusState.Initialised => "Initialised",
        XenbusState.Connected => "Connected",
        XenbusState.Closing => "Closing",
        XenbusState.Closed => "Closed",
        XenbusState.Reconfiguring => "Reconfiguring",
        XenbusState.Reconfigured => "Reconfigured",
        _ => "not a XenbusState",
    };
}
