using System;
using System.Collections.Generic;
using System.Text;

namespace XenstoreInterop;

// Reading and changing nodes. ENOENT is an answer where the method's name says "Try".
public sealed unsafe partial class Xenstore
{
    /// <summary>The value as UTF-8 text; null when the node does not exist.</summary>
    public string? TryRead(string path, XenstoreTransaction? tx = null)
        => TryReadBytes(path, tx) is { } value ? Encoding.UTF8.GetString(value) : null;

    public string Read(string path, XenstoreTransaction? tx = null)
        => TryRead(path, tx) ?? throw new XenstoreException("xs_read", path, LibC.ENOENT);

    /// <summary>The raw value (it may hold any byte, NUL included); null when the node does not exist.</summary>
    public byte[]? TryReadBytes(string path, XenstoreTransaction? tx = null)
    {
        uint t = TransactionId(tx), length;
        void* value;
        fixed (byte* cpath = CString(path))
            value = LibXenstore.xs_read(Handle, t, cpath, &length);
        if (!XenstoreException.FoundOrThrow(value, "xs_read", path))
            return null;
        try
        {
            return new ReadOnlySpan<byte>(value, checked((int)length)).ToArray();
        }
        finally
        {
            LibC.free(value);
        }
    }

    /// <summary>Writes the value, creating missing parents (the daemon does).</summary>
    public void Write(string path, string value, XenstoreTransaction? tx = null)
    {
        uint t = TransactionId(tx);
        byte[] data = Encoding.UTF8.GetBytes(value);
        bool written;
        fixed (byte* cpath = CString(path))
        fixed (byte* cdata = data)
            written = LibXenstore.xs_write(Handle, t, cpath, cdata, (uint)data.Length);
        XenstoreException.ThrowIfFailed(written, "xs_write", path);
    }

    /// <summary>Creates the node with an empty value; does nothing if it exists.</summary>
    public void Mkdir(string path, XenstoreTransaction? tx = null)
    {
        uint t = TransactionId(tx);
        bool made;
        fixed (byte* cpath = CString(path))
            made = LibXenstore.xs_mkdir(Handle, t, cpath);
        XenstoreException.ThrowIfFailed(made, "xs_mkdir", path);
    }

    /// <summary>
    /// Removes the node and everything below it; false when it did not exist. The daemon answers OK for a
    /// missing node whose parent exists, so existence is checked first (inside <paramref name="tx"/> if given).
    /// </summary>
    public bool TryDelete(string path, XenstoreTransaction? tx = null)
    {
        if (!Exists(path, tx))
            return false;
        uint t = TransactionId(tx);
        bool removed;
        fixed (byte* cpath = CString(path))
            removed = LibXenstore.xs_rm(Handle, t, cpath);
        return XenstoreException.FoundOrThrow(removed, "xs_rm", path);
    }

    /// <summary>
    /// Removes the node and everything below it if it is there: one request, where <see cref="TryDelete"/> takes
    /// two to tell whether it existed. The daemon answers OK for a missing node whose parent exists and
    /// ENOENT for a missing parent; both mean "not there any more".
    /// </summary>
    public void Delete(string path, XenstoreTransaction? tx = null)
    {
        uint t = TransactionId(tx);
        bool removed;
        fixed (byte* cpath = CString(path))
            removed = LibXenstore.xs_rm(Handle, t, cpath);
        _ = XenstoreException.FoundOrThrow(removed, "xs_rm", path);
    }

    /// <summary>The names (not paths) of the node's children; null when the node does not exist.</summary>
    public IReadOnlyList<string>? TryList(string path, XenstoreTransaction? tx = null)
    {
        uint t = TransactionId(tx), count;
        byte** names;
        fixed (byte* cpath = CString(path))
            names = LibXenstore.xs_directory(Handle, t, cpath, &count);
        if (!XenstoreException.FoundOrThrow(names, "xs_directory", path))
            return null;
        try
        {
            var list = new string[count];
            for (int i = 0; i < list.Length; i++)
                list[i] = String(names[i]);
            return list;
        }
        finally
        {
            LibC.free(names);  // the strings live in the same block
        }
    }

    public bool Exists(string path, XenstoreTransaction? tx = null) => TryReadBytes(path, tx) is not null;
}
