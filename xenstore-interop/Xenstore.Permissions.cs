using System;
using System.Collections.Generic;
using System.Linq;

namespace XenstoreInterop;

// Node permissions: the first entry is the owner and everyone else's default (see XenstorePermission).
public sealed unsafe partial class Xenstore
{
    public IReadOnlyList<XenstorePermission> GetPermissions(string path, XenstoreTransaction? tx = null)
    {
        uint t = TransactionId(tx), count;
        xs_permissions* permissions;
        fixed (byte* cpath = CString(path))
            permissions = LibXenstore.xs_get_permissions(Handle, t, cpath, &count);
        XenstoreException.ThrowIfFailed(permissions != null, "xs_get_permissions", path);
        try
        {
            var list = new XenstorePermission[count];
            for (int i = 0; i < list.Length; i++)
                list[i] = XenstorePermission.FromNative(permissions[i]);
            return list;
        }
        finally
        {
            LibC.free(permissions);
        }
    }

    public void SetPermissions(string path, IReadOnlyList<XenstorePermission> perms, XenstoreTransaction? tx = null)
    {
        if (perms.Count == 0)
            throw new ArgumentException("a node needs at least its owner's entry", nameof(perms));
        uint t = TransactionId(tx);
        var native = perms.Select(p => p.ToNative()).ToArray();
        bool set;
        fixed (byte* cpath = CString(path))
        fixed (xs_permissions* cperms = native)
            set = LibXenstore.xs_set_permissions(Handle, t, cpath, cperms, (uint)native.Length);
        XenstoreException.ThrowIfFailed(set, "xs_set_permissions", path);
    }
}
