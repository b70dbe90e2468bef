using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
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
        uint t = TransactionId(tx);
        uint length;
        void* value;
        fixed (byte* cpath = CString(path))
            value = LibXenstore.xs_read(Handle, t, cpath, &length);
        int errno = Marshal.GetLastPInvokeError();
        if (value == null)
            return errno == LibC.ENOENT ? null : throw new XenstoreException("xs_read", path, errno);
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
        int errno = Marshal.GetLastPInvokeError();
        if (!written)
            throw new XenstoreException("xs_write", path, errno);
    }

    /// <summary>Creates the node with an empty value; does nothing if it exists.</summary>
    public void Mkdir(string path, XenstoreTransaction? tx = null)
    {
        uint t = TransactionId(tx);
        bool made;
        fixed (byte* cpath = CString(path))
            made = LibXenstore.xs_mkdir(Handle, t, cpath);
        int errno = Marshal.GetLastPInvokeError();
        if (!made)
            throw new XenstoreException("xs_mkdir", path, errno);
    }

    /// <summary>
    /// Removes the node and everything below it; false when it did not exist. The daemon answers OK for a
    /// missing node whose parent exists, so existence is checked first (inside <paramref name="tx"/> if given).
    /// </summary>
    public bool Remove(string path, XenstoreTransaction? tx = null)
    {
        if (!Exists(path, tx))
            return false;
        uint t = TransactionId(tx);
        bool removed;
        fixed (byte* cpath = CString(path))
            removed = LibXenstore.xs_rm(Handle, t, cpath);
        int errno = Marshal.GetLastPInvokeError();
        if (removed)
            return true;
        return errno == LibC.ENOENT ? false : throw new XenstoreException("xs_rm", path, errno);
    }

    /// <summary>The names (not paths) of the node's children; null when the node does not exist.</summary>
    public IReadOnlyList<string>? TryList(string path, XenstoreTransaction? tx = null)
    {
        uint t = TransactionId(tx);
        uint count;
        byte** names;
        fixed (byte* cpath = CString(path))
            names = LibXenstore.xs_directory(Handle, t, cpath, &count);
        int errno = Marshal.GetLastPInvokeError();
        if (names == null)
            return errno == LibC.ENOENT ? null : throw new XenstoreException("xs_directory", path, errno);
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
