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
