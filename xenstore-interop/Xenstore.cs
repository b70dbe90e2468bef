using System;
using System.Runtime.InteropServices;
using System.Text;

namespace XenstoreInterop;

/// <summary>
/// A connection to Xenstore through libxenstore. Not thread-safe: one owner at a time.
/// Paths may be absolute or relative; relative ones are passed unchanged and resolve against the
/// caller's domain home (/local/domain/0 on dom0's socket).
/// </summary>
/// <remarks>
/// Dispose closes the connection; nothing else does. There is deliberately no SafeHandle or finalizer: the
/// raw pointer is passed to every call, and a finalizer could run xs_close while a call on an otherwise
/// unreferenced instance is still inside libxenstore.
/// </remarks>
public sealed unsafe partial class Xenstore : IDisposable
{
    private xs_handle* handle;

    private Xenstore(xs_handle* handle) => this.handle = handle;

    /// <summary>
    /// xs_open(0): libxenstore tries $XENSTORED_PATH if set, else the daemon socket, then the xenbus device.
    /// The exception names every path it tried.
    /// </summary>
    public static Xenstore Open()
    {
        xs_handle* opened = LibXenstore.xs_open(0);
        int errno = Marshal.GetLastPInvokeError();  // before PathsTried: its calls reset the saved errno
        if (opened == null)
            throw new XenstoreException("xs_open", PathsTried(), errno);
        return new Xenstore(opened);
    }

    /// <summary>
    /// The descriptor that becomes readable when a watch event is queued (a pipe libxenstore keeps, not the
    /// socket); <see cref="WaitForWatchEvent"/> polls it.
    /// </summary>
    public int FileDescriptor
    {
        get
        {
            int fd = LibXenstore.xs_fileno(Handle);
            XenstoreException.ThrowIfFailed(fd >= 0, "xs_fileno", null);
            return fd;
        }
    }

    /// <summary>
    /// Replaces the connection with a new one (xs_open again), after <see cref="XenstoreException.ConnectionLost"/>.
    /// Watches and open transactions belonged to the old connection and are gone: set watches again. If the
    /// daemon cannot be reached the old connection stays (closed, so every call fails) and this throws.
    /// </summary>
    public void Reconnect()
    {
        xs_handle* opened = LibXenstore.xs_open(0);
        int errno = Marshal.GetLastPInvokeError();
        if (opened == null)
            throw new XenstoreException("xs_open", PathsTried(), errno);
        LibXenstore.xs_close(Handle);
        handle = opened;
    }

    public string GetDomainPath(uint domainId)
    {
        byte* path = LibXenstore.xs_get_domain_path(Handle, domainId);
        XenstoreException.ThrowIfFailed(path != null, "xs_get_domain_path", $"domain {domainId}");
        return TakeString(path);
    }

    /// <summary>xs_close, which also stops libxenstore's watch thread.</summary>
    public void Dispose()
    {
        LibXenstore.xs_close(handle);  // NULL is fine: already disposed
        handle = null;
    }

    private xs_handle* Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(handle == null, this);
            return handle;
        }
    }

    // xs_daemon_socket() and xs_domain_dev() in tools/libs/store/xs_lib.c (Xen 4.17): XENSTORED_PATH names
    // both; otherwise the socket (under $XENSTORED_RUNDIR) and the xenbus device, whichever of the two exists.
    private static string PathsTried()
    {
        string socket = Marshal.PtrToStringUTF8((nint)LibXenstore.xs_daemon_socket()) ?? "(no socket path)";
        return LibC.getenv("XENSTORED_PATH") != null
            ? $"{socket} ($XENSTORED_PATH)"
            : $"{socket}, /dev/xen/xenbus, /proc/xen/xenbus";
    }

    /// <summary>A NUL-terminated UTF-8 copy for libxenstore; a NUL inside would silently cut the path.</summary>
    private static byte[] CString(string value)
    {
        if (value.Contains('\0'))
            throw new ArgumentException($"'{value.Replace("\0", "\\0")}' contains a NUL character", nameof(value));
        var bytes = new byte[Encoding.UTF8.GetByteCount(value) + 1];
        Encoding.UTF8.GetBytes(value, bytes);
        return bytes;
    }

    private static string String(byte* value)
        => Encoding.UTF8.GetString(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(value));

    /// <summary>Copies a string libxenstore allocated, then frees it.</summary>
    private static string TakeString(byte* value)
    {
        try
        {
            return String(value);
        }
        finally
        {
            LibC.free(value);
        }
    }
}
