using System;
using System.Collections.Generic;
using System.Collections.Immutable;

namespace TestXenstored;

/// <summary>
/// Applies Xenstore operations to one version of the tree: the main tree or a transaction's copy.
/// Paths are absolute and already validated. Collects the changes that fire watches, and reports every
/// node it looks at to <c>onAccess</c> (transactions record them for the conflict check).
/// </summary>
internal sealed class TreeEditor
{
    private readonly Func<long> nextGeneration;
    private readonly Action<string>? onAccess;

    public Node Root { get; private set; }

    public List<ChangeEvent> Changes { get; } = [];

    public TreeEditor(Node root, Func<long> nextGeneration, Action<string>? onAccess = null)
    {
        Root = root;
        this.nextGeneration = nextGeneration;
        this.onAccess = onAccess;
    }

    public Node? Find(string path)
    {
        onAccess?.Invoke(path);
        return Root.Find(path);
    }

    public Node Get(string path) => Find(path) ?? throw new XsdException(XsdErrno.ENOENT, path);

    public IEnumerable<string> ChildNames(string path) => Get(path).Children.Keys;

    public void Write(string path, byte[] value)
    {
        if (Find(path) is { } existing)
            Replace(path, existing.WithValue(value, nextGeneration()));
        else
            Create(path, value);
        Changes.Add(new ChangeEvent(path, ExactOnly: false));
    }

    /// <summary>Creates the node and missing parents; a no-op, firing nothing, if it exists.</summary>
    public void Mkdir(string path)
    {
        if (Find(path) is not null)
            return;
        Create(path, []);
        Changes.Add(new ChangeEvent(path, ExactOnly: false));
    }

    /// <summary>Removes a subtree. Absent is fine if the parent exists (xenstored do_rm()).</summary>
    public void Remove(string path)
    {
        if (path == "/")
            throw new XsdException(XsdErrno.EINVAL, "cannot remove /");
        string parentPath = XenstorePath.Parent(path);
        Node? node = Find(path);
        Node parent = Get(parentPath);
        if (node is null)
            return;
        // Descendants first, the root last: the order of xenstored's post-order walk in delete_node().
        ReportDescendants(path, node);
        Replace(parentPath, parent.WithChildren(parent.Children.Remove(XenstorePath.Name(path)), nextGeneration()));
        Changes.Add(new ChangeEvent(path, ExactOnly: false));
    }

    public void SetPermissions(string path, ImmutableArray<NodePermission> permissions)
    {
        Replace(path, Get(path).WithPermissions(permissions, nextGeneration()));
        Changes.Add(new ChangeEvent(path, ExactOnly: false));
    }

    /// <summary>Creates a node whose parent may be missing: parents get empty values and inherit permissions.</summary>
    private void Create(string path, byte[] value)
    {
        string parentPath = XenstorePath.Parent(path);
        Node parent = Find(parentPath) ?? CreateParent(parentPath);
        var node = new Node(value, parent.Permissions, Node.NoChildren, nextGeneration());
        Replace(parentPath, parent.WithChildren(parent.Children.Add(XenstorePath.Name(path), node), nextGeneration()));
    }

    private Node CreateParent(string path)
    {
        Create(path, []);
        return Root.Find(path)!;
    }

    private void ReportDescendants(string path, Node node)
    {
        foreach ((string name, Node child) in node.Children)
        {
            string childPath = XenstorePath.Child(path, name);
            ReportDescendants(childPath, child);
            onAccess?.Invoke(childPath);
            Changes.Add(new ChangeEvent(childPath, ExactOnly: true));
        }
    }

    /// <summary>Puts <paramref name="node"/> at an existing path, rebuilding its ancestors (their generations stay).</summary>
    private void Replace(string path, Node node)
        => Root = Rebuild(Root, XenstorePath.Segments(path), 0, node);

    private static Node Rebuild(Node current, string[] segments, int depth, Node replacement)
    {
        if (depth == segments.Length)
            return replacement;
        string name = segments[depth];
        Node child = Rebuild(current.Children[name], segments, depth + 1, replacement);
        return current.WithChildren(current.Children.SetItem(name, child), current.Generation);
    }
}
