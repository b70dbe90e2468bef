using System;
using System.Diagnostics;

namespace TestXenstored.Tests;

/// <summary>A running <c>xenstore-watch -n N path</c>, read line by line.</summary>
internal sealed class WatchProcess : IDisposable
{
    // Each event is printed within milliseconds; this only bounds a missing one.
    private static readonly TimeSpan LineTimeout = TimeSpan.FromSeconds(30);

    private readonly Process process;

    public WatchProcess(string socketPath, string path, int events)
        => process = XenstoreTools.Start(socketPath, "xenstore-watch", "-n", events.ToString(), path);

    /// <summary>The next event path printed; the first one names the watch itself and proves it is set.</summary>
    public string NextLine()
        => process.StandardOutput.ReadLineAsync().WaitAsync(LineTimeout).Result
            ?? throw new InvalidOperationException($"xenstore-watch ended: {process.StandardError.ReadToEnd()}");

    /// <summary>xenstore-watch -n exits 0 once it has printed its N events.</summary>
    public int WaitForExit()
    {
        if (!process.WaitForExit(LineTimeout))
            throw new TimeoutException("xenstore-watch did not exit");
        return process.ExitCode;
    }

    public void Dispose()
    {
        if (!process.HasExited)
            process.Kill();
        process.WaitForExit();
        process.Dispose();
    }
}
