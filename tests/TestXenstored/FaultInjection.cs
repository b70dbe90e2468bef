using System;
using System.Collections.Generic;
using System.Threading;

namespace TestXenstored;

/// <summary>Failures a test asks for; read by every connection's task, set by the test's thread.</summary>
internal sealed class FaultInjection
{
    private readonly Lock gate = new();
    private readonly Dictionary<XsdType, int> dropsLeft = [];
    private readonly Dictionary<XsdType, int> lostRepliesLeft = [];
    private int commitFailuresLeft;
    private long replyDelayTicks;

    public TimeSpan ReplyDelay
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref replyDelayTicks));
        set => Interlocked.Exchange(ref replyDelayTicks, value.Ticks);
    }

    public void FailNextCommits(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        lock (gate)
            commitFailuresLeft = count;
    }

    public void DropConnectionOnNext(XsdType type, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        lock (gate)
            dropsLeft[type] = count;
    }

    public void LoseReplyOnNext(XsdType type, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        lock (gate)
            lostRepliesLeft[type] = count;
    }

    /// <summary>True if this commit should fail with EAGAIN; counts it.</summary>
    public bool TakeCommitFailure()
    {
        lock (gate)
            return TakeOne(ref commitFailuresLeft);
    }

    /// <summary>True if a request of this type should close its connection; counts it.</summary>
    public bool TakeDrop(XsdType type) => TakeFor(dropsLeft, type);

    /// <summary>True if a request of this type should be applied, then its connection closed unanswered; counts it.</summary>
    public bool TakeLostReply(XsdType type) => TakeFor(lostRepliesLeft, type);

    private bool TakeFor(Dictionary<XsdType, int> counts, XsdType type)
    {
        lock (gate)
        {
            if (!counts.TryGetValue(type, out int left))
                return false;
            bool take = TakeOne(ref left);
            counts[type] = left;
            return take;
        }
    }

    private static bool TakeOne(ref int left)
    {
        if (left == 0)
            return false;
        left--;
        return true;
    }
}
