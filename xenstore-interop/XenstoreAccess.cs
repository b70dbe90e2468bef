namespace XenstoreInterop;

/// <summary>What a domain may do with a node: the n, r, w and b of Xenstore permission strings.</summary>
public enum XenstoreAccess
{
    None,
    Read,
    Write,
    Both,
}
