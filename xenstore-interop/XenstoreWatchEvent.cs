namespace XenstoreInterop;

/// <summary>A fired watch: the node that changed (relative if the watch was) and the watch's token.</summary>
public readonly record struct XenstoreWatchEvent(string Path, string Token);
