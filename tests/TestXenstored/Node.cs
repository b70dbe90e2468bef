using System;
using System.Collections.Immutable;

namespace TestXenstored;

/// <summary>
/// An immutable tree node. An edit builds new nodes along the edited path and shares everything else,
/// so a transaction's snapshot is simply the root it started from.
/// </summary>
internal sealed class Node
{
    public static readonly ImmutableSortedDictionary<string, Node> NoChildren
        = ImmutableSortedDictionary.Create<string, Node>(StringComparer.Ordinal);

    /// <summary>Marks an absent node where a generation is compared.</summary>
    public const long Absent = -1;

    /// <summary>Raw value bytes; never modified once the node exists.</summary>
    public byte[] Value { get; }

    public ImmutableArray<NodePermission> Permissions { get; }

    public ImmutableSortedDictionary<string, Node> Children { get; }

    /// <summary>
    /// Changes whenever this node's value, permissions or set of child names changes, but not when only a
    /// descendant's content does. Transactions compare it to detect conflicts, as xenstored 4.17 does with
    /// its per-node generation count; DIRECTORY_PART reports it.
    /// </summary>
    public long Generation { get; }

    public Node(byte[] value, ImmutableArray<NodePermission> permissions,
        ImmutableSortedDictionary<string, Node> children, long generation)
    {
        Value = value;
        Permissions = permissions;
        Children = children;
        Generation = generation;
    }

    public Node WithValue(byte[] value, long generation) => new(value, Permissions, Children, generation);

    public Node WithPermissions(ImmutableArray<NodePermission> permissions, long generation)
        => new(Value, permissions, Children, generation);

    public Node WithChildren(ImmutableSortedDictionary<string, Node> children, long generation)
        => new(Value, Permissions, children, generation);

    /// <summary>The node at an absolute path below this one (this node being "/"), or null.</summary>
    public Node? Find(string absolutePath)
    {
        Node node = this;
        foreach (string name in XenstorePath.Segments(absolutePath))
        {
            if (!node.Children.TryGetValue(name, out Node? child))
                return null;
            node = child;
        }
        return node;
    }

    public long GenerationAt(string absolutePath) => Find(absolutePath)?.Generation ?? Absent;
}
