using System;
using System.Runtime.InteropServices;

namespace XenstoreInterop;

// Transactions: a body runs against a snapshot and commits atomically, or runs again.
public sealed unsafe partial class Xenstore
{
    /// <summary>
    /// How many times <see cref="Transact"/> runs a body whose commit keeps failing with EAGAIN. A commit fails
    /// only when another client changed a node the body read or wrote, so each failure means someone else made
    /// progress; 16 losses in a row mean a writer storm on the same nodes, and going on would hide it (xenstore-utils
    /// and the shell block script retry forever). No sleep between attempts: worst case 16 runs of the body, each a
    /// few round trips of about 0.1-4 ms, well under a second.
    /// </summary>
    public const int DefaultTransactionAttempts = 16;

    /// <summary>
    /// Runs <paramref name="body"/> in a transaction and commits it. On EAGAIN (a conflicting commit) the body
    /// runs again in a new transaction, up to <paramref name="maxAttempts"/> times in all; any other failure
    /// throws. If the body throws, the transaction is aborted and the exception passes through.
    /// </summary>
    public T Transact<T>(Func<XenstoreTransaction, T> body, int maxAttempts = DefaultTransactionAttempts)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAttempts, 1);
        for (int attempt = 1; ; attempt++)
        {
            var tx = Start();
            T result;
            try
            {
                result = body(tx);
            }
            catch
            {
                Abort(tx);
                throw;
            }
            if (Commit(tx))
                return result;
            if (attempt == maxAttempts)
                throw new XenstoreException("xs_transaction_end", null, LibC.EAGAIN, $"after {attempt} attempts");
        }
    }

    public void Transact(Action<XenstoreTransaction> body, int maxAttempts = DefaultTransactionAttempts)
        => Transact<object?>(tx =>
        {
            body(tx);
            return null;
        }, maxAttempts);

    private XenstoreTransaction Start()
    {
        uint id = LibXenstore.xs_transaction_start(Handle);
        XenstoreException.ThrowIfFailed(id != LibXenstore.XBT_NULL, "xs_transaction_start", null);
        return new XenstoreTransaction(this, id);
    }

    /// <summary>True when committed, false on EAGAIN (another commit touched what this one did).</summary>
    private bool Commit(XenstoreTransaction tx)
    {
        tx.IsOpen = false;
        bool committed = LibXenstore.xs_transaction_end(Handle, tx.Id, abort: false);
        int errno = Marshal.GetLastPInvokeError();
        if (committed)
            return true;
        return errno == LibC.EAGAIN ? false : throw new XenstoreException("xs_transaction_end", null, errno);
    }

    // The body's exception is the one worth reporting; an abort failure (the connection is gone) is
    // discarded because the daemon drops the transaction with the connection anyway.
    private void Abort(XenstoreTransaction tx)
    {
        tx.IsOpen = false;
        if (handle != null)
            _ = LibXenstore.xs_transaction_end(handle, tx.Id, abort: true);
    }

    private uint TransactionId(XenstoreTransaction? tx)
    {
        if (tx is null)
            return LibXenstore.XBT_NULL;
        if (tx.Owner != this)
            throw new ArgumentException("the transaction belongs to another connection", nameof(tx));
        if (!tx.IsOpen)
            throw new InvalidOperationException("the transaction has ended: use it only inside its Transact body");
        return tx.Id;
    }
}
