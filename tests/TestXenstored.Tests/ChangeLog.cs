using System;
using System.Collections.Concurrent;

namespace TestXenstored.Tests;

/// <summary>Collects OnChange callbacks (they run on a server thread) for a test to take in order.</summary>
internal sealed class ChangeLog : IDisposable
{
    // Callbacks follow a commit within milliseconds; this only bounds a missing one.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly BlockingCollection<string> paths = new();

    public void Add(string path) => paths.Add(path);

    public string Next()
        => paths.TryTake(out string? path, Timeout) ? path : throw new TimeoutException("no OnChange callback");

    public int Pending => paths.Count;

    public void Dispose() => paths.Dispose();
}
