using System;
using System.Collections.Concurrent;
using System.Threading;

namespace TestXenstored;

/// <summary>
/// Runs OnChange callbacks on one thread of their own, in commit order and outside the tree lock, so a
/// callback may itself write to the server (its changes queue behind the current one).
/// </summary>
internal sealed class ChangeCallbacks : IDisposable
{
    private readonly BlockingCollection<(ChangeSubscription Subscription, string Path)> queue = new();
    private readonly Thread thread;

    public ChangeCallbacks()
    {
        thread = new Thread(Run) { IsBackground = true, Name = "TestXenstored OnChange" };
        thread.Start();
    }

    /// <summary>Called with the tree lock held, which fixes the order.</summary>
    public void Enqueue(ChangeSubscription subscription, string path)
        => _ = queue.TryAdd((subscription, path)); // false only after Dispose: the server is gone, nobody waits

    public void Dispose()
    {
        queue.CompleteAdding();
        // A callback that disposes the server must not wait for itself; its loop then ends on its own.
        if (Thread.CurrentThread == thread)
            return;
        thread.Join();
        queue.Dispose();
    }

    private void Run()
    {
        foreach ((ChangeSubscription subscription, string path) in queue.GetConsumingEnumerable())
        {
            try
            {
                subscription.Invoke(path);
            }
            catch (Exception e)
            {
                // A test's callback failing must not stop the ones after it; it shows in the test log.
                Console.Error.WriteLine($"TestXenstored: OnChange callback for {path} failed: {e}, ignoring");
            }
        }
    }
}
