using System;
using System.Collections.Generic;
using System.Threading;

namespace TestXenstored;

/// <summary>Failures a test asks for; read by every connection's task, set by the test's thread.</summary>
internal sealed class FaultInjection
{
    private readonly Lock gate = new();
    private readonly Dictionary<XsdType, int> dropsLeft = [];
    private readonly Dictionary<XsdType, int> dropsAfterApplyLeft = [];
    private readonly List<ErrorReply> errorReplies = [];
    private int commitFailuresLeft;
    private int commitFailurePeriod;
    private long commits;
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

    /// <summary>From now on every <paramref name="period"/>th commit fails with EAGAIN (0: none).</summary>
    public void FailEveryNthCommit(int period)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(period);
        lock (gate)
        {
            commitFailurePeriod = period;
            commits = 0;
        }
    }

    public void DropConnectionAfterNext(XsdType type, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        lock (gate)
            dropsAfterApplyLeft[type] = count;
    }

    public void ReplyErrorOn(XsdType type, string error, int count, string? argumentSuffix)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        lock (gate)
            errorReplies.Add(new ErrorReply(type, argumentSuffix, error) { Left = count });
    }

    /// <summary>True if this commit should fail with EAGAIN; counts it.</summary>
    public bool TakeCommitFailure()
    {
        lock (gate)
        {
            commits++;
            bool periodic = commitFailurePeriod > 0 && commits % commitFailurePeriod == 0;
            return TakeOne(ref commitFailuresLeft) || periodic;
        }
    }

    /// <summary>True if this request should be applied and its connection then closed, the reply unsent; counts it.</summary>
    public bool TakeDropAfterApply(XsdType type) => TakeOne(dropsAfterApplyLeft, type);

    private bool TakeOne(Dictionary<XsdType, int> counts, XsdType type)
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

    /// <summary>The error name this request should be answered with instead of being handled, or null; counts it.</summary>
    public string? TakeErrorReply(XsdType type, string firstArgument)
    {
        lock (gate)
        {
            foreach (ErrorReply reply in errorReplies)
            {
                if (reply.Left > 0 && reply.Type == type
                    && (reply.ArgumentSuffix is null || firstArgument.EndsWith(reply.ArgumentSuffix, StringComparison.Ordinal)))
                {
                    reply.Left--;
                    return reply.Error;
                }
            }
            return null;
        }
    }

    private sealed record ErrorReply(XsdType Type, string? ArgumentSuffix, string Error)
    {
        public int Left { get; set; }
    }

    /// <summary>True if a request of this type should close its connection; counts it.</summary>
    public bool TakeDrop(XsdType type) => TakeOne(dropsLeft, type);

    private static bool TakeOne(ref int left)
    {
        if (left == 0)
            return false;
        left--;
        return true;
    }
}
