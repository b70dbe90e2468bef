using System.IO;
using System.Runtime.InteropServices;

namespace XenstoreInterop;

/// <summary>
/// A failed libxenstore call: the call, the Xenstore path (or what was tried) and errno.
/// Message form: "xs_read backend/vbd/1/51712/params: No such file or directory (ENOENT)".
/// </summary>
public sealed class XenstoreException : IOException
{
    public int Errno { get; }
    public string Call { get; }
    public string? Path { get; }

    /// <summary>
    /// True when the connection itself failed: the daemon closed it (it died, restarted, or dropped us), so this
    /// request and every later one on the handle fail. libxenstore reports end-of-file as EBADF and closes its fd
    /// (read_all and xs_talkv in tools/libs/store/xs.c, Xen 4.17); a write to a closed socket is EPIPE or
    /// ECONNRESET. A daemon never answers with any of these: they are not in xsd_errors (xen/io/xs_wire.h).
    /// A request in flight when the reader thread saw the end fails with EINVAL instead, which a daemon can also
    /// answer; the next request then fails with EBADF (docs/design.md, "Xenstore connection lost").
    /// </summary>
    public bool ConnectionLost => Errno is LibC.EBADF or LibC.EPIPE or LibC.ECONNRESET or LibC.ENOTCONN;

    /// <param name="detail">appended to the message, e.g. "after 16 attempts"</param>
    public XenstoreException(string call, string? path, int errno, string? detail = null)
        : base(Format(call, path, errno, detail))
    {
        Errno = errno;
        Call = call;
        Path = path;
        HResult = errno;
    }

    /// <summary>Throws for a failed call. Call it first thing after the call: it reads errno.</summary>
    internal static void ThrowIfFailed(bool succeeded, string call, string? path)
    {
        if (!succeeded)
            throw new XenstoreException(call, path, Marshal.GetLastPInvokeError());
    }

    /// <summary>
    /// True when the call succeeded, false when it failed with ENOENT (no such node); throws otherwise.
    /// Call it first thing after the call: it reads errno.
    /// </summary>
    internal static bool FoundOrThrow(bool succeeded, string call, string? path)
    {
        if (succeeded)
            return true;
        int errno = Marshal.GetLastPInvokeError();
        return errno == LibC.ENOENT ? false : throw new XenstoreException(call, path, errno);
    }

    /// <summary>The same for calls that return NULL on failure.</summary>
    internal static unsafe bool FoundOrThrow(void* result, string call, string? path)
        => FoundOrThrow(result != null, call, path);

    private static unsafe string Format(string call, string? path, int errno, string? detail)
    {
        byte* name = LibC.strerrorname_np(errno);
        string errnoName = name == null ? $"errno {errno}" : Marshal.PtrToStringUTF8((nint)name)!;
        string where = path is null ? call : $"{call} {path}";
        string suffix = detail is null ? "" : $" {detail}";
        return $"{where}: {Marshal.GetPInvokeErrorMessage(errno)} ({errnoName}){suffix}";
    }
}
