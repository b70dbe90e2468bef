namespace XenstoreInterop;

/// <summary>
/// One entry of a node's permission list. The first entry names the owner (who always has full access)
/// and the access of every domain not listed; "n0" is dom0's default.
/// </summary>
public readonly record struct XenstorePermission(uint DomainId, XenstoreAccess Access)
{
    /// <summary>The Xenstore spelling, as xenstore-ls -p prints it: "r5", "b0".</summary>
    public override string ToString() => $"{Letter(Access)}{DomainId}";

    internal xs_permissions ToNative() => new()
    {
        id = DomainId,
        perms = Access switch
        {
            XenstoreAccess.Read => LibXenstore.XS_PERM_READ,
            XenstoreAccess.Write => LibXenstore.XS_PERM_WRITE,
            XenstoreAccess.Both => LibXenstore.XS_PERM_READ | LibXenstore.XS_PERM_WRITE,
            _ => LibXenstore.XS_PERM_NONE,
        },
    };

    // Other bits (XS_PERM_OWNER, XS_PERM_IGNORE) are libxenstore-internal and never come from the daemon.
    internal static XenstorePermission FromNative(xs_permissions native)
    {
        const uint readWrite = LibXenstore.XS_PERM_READ | LibXenstore.XS_PERM_WRITE;
        var access = (native.perms & readWrite) switch
        {
            readWrite => XenstoreAccess.Both,
            LibXenstore.XS_PERM_READ => XenstoreAccess.Read,
            LibXenstore.XS_PERM_WRITE => XenstoreAccess.Write,
            _ => XenstoreAccess.None,
        };
        return new XenstorePermission(native.id, access);
    }

    private static char Letter(XenstoreAccess access) => access switch
    {
        XenstoreAccess.Read => 'r',
        XenstoreAccess.Write => 'w',
        XenstoreAccess.Both => 'b',
        _ => 'n',
    };
}
