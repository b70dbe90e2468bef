using System;
using System.Collections.Generic;

namespace TestXenstored;

/// <summary>
/// A transaction: its requests see the tree as it was at TRANSACTION_START plus its own changes. Commit
/// fails (EAGAIN) if any node it read or wrote has changed in the main tree since; otherwise its changes
/// are applied there and only then fire watches.
/// </summary>
internal sealed class Transaction
{
    private readonly Node snapshot;
    // Generation of each node this transaction touched, as the snapshot has it (Node.Absent if missing).
    private readonly Dictionary<string, long> touched = new(StringComparer.Ordinal);
    private readonly List<Action<TreeEditor>> changes = [];

    public uint Id { get; }

    /// <summary>This transaction's view; use <see cref="Apply"/> for changes so commit can repeat them.</summary>
    public TreeEditor View { get; }

    public Transaction(uint id, Node root, Func<long> nextGeneration)
    {
        Id = id;
        snapshot = root;
        View = new TreeEditor(root, nextGeneration, RecordAccess);
    }

    /// <summary>Changes the private view; a change that fails leaves nothing to commit.</summary>
    public void Apply(Action<TreeEditor> change)
    {
        change(View);
        changes.Add(change);
    }

    /// <summary>Whether the main tree changed any node this transaction touched (xenstored's generation check).</summary>
    public bool ConflictsWith(Node mainRoot)
    {
        foreach ((string path, long generation) in touched)
        {
            if (mainRoot.GenerationAt(path) != generation)
                return true;
        }
        return false;
    }

    /// <summary>
    /// Repeats the changes on the main tree. Every node they depend on was touched here and is unchanged
    /// there (checked by <see cref="ConflictsWith"/>), so each repeats exactly as it ran in the view.
    /// </summary>
    public void ReplayOn(TreeEditor main)
    {
        foreach (Action<TreeEditor> change in changes)
            change(main);
    }

    // A node's first access decides: later accesses see this transaction's own changes.
    private void RecordAccess(string path) => touched.TryAdd(path, snapshot.GenerationAt(path));
}
