using System;
using System.Collections.Immutable;
using System.Threading;

namespace TestXenstored;

/// <summary>
/// The main tree and the watches on it, behind one lock. Every member except <see cref="Gate"/> expects the
/// caller to hold it, which also fixes one order for all replies and events.
/// </summary>
internal sealed class Store(WatchRegistry watches)
{
    private long generation;

    public Lock Gate { get; } = new();

    public Node Root { get; private set; } = InitialTree();

    public WatchRegistry Watches { get; } = watches;

    /// <summary>A read-only view of the main tree as it is now.</summary>
    public TreeEditor View() => new(Root, NextGeneration);

    /// <summary>Applies a change to the main tree and fires the watches it reaches.</summary>
    public void Change(Action<TreeEditor> change)
    {
        var editor = new TreeEditor(Root, NextGeneration);
        change(editor);
        Root = editor.Root;
        Watches.Fire(editor.Changes);
    }

    public Transaction BeginTransaction(uint id) => new(id, Root, NextGeneration);

    /// <summary>False (EAGAIN for the client) if a node the transaction touched has changed since it began.</summary>
    public bool TryCommit(Transaction transaction)
    {
        if (transaction.ConflictsWith(Root))
            return false;
        Change(transaction.ReplayOn);
        return true;
    }

    private long NextGeneration() => ++generation;

    /// <summary>What xenstored starts with before any domain exists: /, /local, /local/domain, /tool, all owned by dom0.</summary>
    private static Node InitialTree()
    {
        ImmutableArray<NodePermission> dom0Only = [NodePermission.Dom0Only];
        Node Empty(params (string Name, Node Child)[] children)
        {
            var map = Node.NoChildren;
            foreach ((string name, Node child) in children)
                map = map.Add(name, child);
            return new Node([], dom0Only, map, 0);
        }
        return Empty(("local", Empty(("domain", Empty()))), ("tool", Empty()));
    }
}
