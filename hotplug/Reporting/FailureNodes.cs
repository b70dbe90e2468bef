using System;
using System.Text;
using BlockDiskseq.Backend;
using XenstoreInterop;

namespace BlockDiskseq.Reporting;

/// <summary>
/// Writes a failure where libxl reads it: hotplug-error, then hotplug-status (Xen's fatal writes them in this
/// order). hotplug-status is what libxl waits for, so it is written even when hotplug-error cannot be.
/// </summary>
internal static class FailureNodes
{
    /// <summary>
    /// XENSTORE_PAYLOAD_MAX (xen/include/public/io/xs_wire.h): libxenstore refuses a request whose payload,
    /// here the path, its NUL and the value, is longer (E2BIG), and xenstored drops such a connection.
    /// </summary>
    internal const int PayloadMax = 4096;

    /// <summary>
    /// A driver domain is unprivileged, and xenstored refuses (ENOSPC) an unprivileged node of 2048 bytes or
    /// more, header and permissions included (quota_max_entry_size, -S; oxenstored's quota-maxsize is the
    /// same). 1024 bytes of message leaves room for both and is still several lines of text.
    /// </summary>
    internal const int MessageMax = 1024;

    /// <summary>Marks where the middle of an over-long message was cut.</summary>
    internal const string Elision = "[...]";

    internal static void Write(Xenstore xs, BackendPath be, string message, string status)
    {
        string errorNode = be.Node(BackendNodes.HotplugError);
        string? errorProblem = TryWrite(xs, errorNode, Fit(errorNode, message));
        string? statusProblem = TryWrite(xs, be.Node(BackendNodes.HotplugStatus), status);
        // Nothing more to do: the failure is in the log, and the exit status is what libxl judges.
        if (errorProblem is not null)
            Log.Warning($"could not write hotplug-error to {be.Path}: {errorProblem}");
        if (statusProblem is not null)
            Log.Warning($"could not write hotplug-status = {status} to {be.Path}: {statusProblem}");
    }

    /// <summary>The message, its middle elided so that node path, NUL and value fit both Xenstore limits.</summary>
    internal static string Fit(string node, string message)
    {
        int room = Math.Min(MessageMax, PayloadMax - Encoding.UTF8.GetByteCount(node) - 1);
        return Elide(message, room);
    }

    /// <summary>
    /// At most <paramref name="maxBytes"/> bytes of UTF-8: the head and the tail of the text around
    /// <see cref="Elision"/>. The head says what failed, the tail the reason (errno), so both are kept; a long
    /// path or value in between loses its middle. Cuts fall between characters, never inside a surrogate pair.
    /// </summary>
    internal static string Elide(string text, int maxBytes)
    {
        if (Encoding.UTF8.GetByteCount(text) <= maxBytes)
            return text;
        int budget = Math.Max(0, maxBytes - Elision.Length);
        int headBytes = budget - budget / 2;
        int head = CharsWithin(text, 0, 1, headBytes);
        int tail = CharsWithin(text, text.Length - 1, -1, budget - headBytes);
        return string.Concat(text.AsSpan(0, head), Elision, text.AsSpan(text.Length - tail));
    }

    /// <summary>How many chars from <paramref name="start"/> in direction <paramref name="step"/> fit in the bytes.</summary>
    private static int CharsWithin(string text, int start, int step, int bytes)
    {
        int count = 0, used = 0;
        for (int i = start; i >= 0 && i < text.Length;)
        {
            bool pair = step > 0
                ? char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])
                : char.IsLowSurrogate(text[i]) && i > 0 && char.IsHighSurrogate(text[i - 1]);
            int chars = pair ? 2 : 1;
            int size = pair ? 4 : Encoding.UTF8.GetByteCount(text.AsSpan(i, 1));
            if (used + size > bytes)
                break;
            used += size;
            count += chars;
            i += step * chars;
        }
        return count;
    }

    /// <summary>Null when written; else why not. A lost connection is tried once more on a new one.</summary>
    private static string? TryWrite(Xenstore xs, string node, string value)
    {
        try
        {
            xs.Write(node, value);
            return null;
        }
        catch (XenstoreException e) when (ConnectionLoss.IsLost(xs, e))
        {
            return ConnectionLoss.TryReconnect(xs, e, $"writing {node}") is string gone ? gone : TryWriteOnce(xs, node, value);
        }
        catch (XenstoreException e)
        {
            return e.Message;
        }
    }

    private static string? TryWriteOnce(Xenstore xs, string node, string value)
    {
        try
        {
            xs.Write(node, value);
            return null;
        }
        catch (XenstoreException e)
        {
            return e.Message;
        }
    }
}
