using System;

namespace TestXenstored;

/// <summary>An in-process OnChange callback for changes at or below an absolute path.</summary>
internal sealed class ChangeSubscription(string prefix, Action<string> callback, Action<ChangeSubscription> unsubscribe)
    : IDisposable
{
    private volatile bool disposed;

    public string Prefix { get; } = prefix;

    /// <summary>Calls back unless disposed meanwhile: a change queued just before Dispose is dropped.</summary>
    public void Invoke(string path)
    {
        if (!disposed)
            callback(path);
    }

    public void Dispose()
    {
        disposed = true;
        unsubscribe(this);
    }
}
