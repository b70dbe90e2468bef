using System.IO;
using System.Runtime.InteropServices;

namespace BlockDiskseq.Native;

/// <summary>
/// A failed system call: the call, the object it was made on and errno.
/// Message form: "ioctl(LOOP_CONFIGURE) on /dev/loop7: Device or resource busy (EBUSY)".
/// </summary>
internal sealed class NativeException : IOException
{
    public int Errno { get; }
    public string Call { get; }
    public string? Path { get; }

    public NativeException(string call, string? path, int errno)
        : base(Format(call, path, errno))
    {
        Errno = errno;
        Call = call;
        Path = path;
        HResult = errno;
    }

    private static string Format(string call, string? path, int errno)
        => path is null
            ? $"{call}: {LibC.StrError(errno)} ({LibC.ErrnoName(errno)})"
            : $"{call} on {path}: {LibC.StrError(errno)} ({LibC.ErrnoName(errno)})";

    /// <summary>Throws for a -1 result. errno is read here, before anything else can reset it.</summary>
    public static int Check(int result, string call, string? path)
    {
        if (result == -1)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new NativeException(call, path, errno);
        }
        return result;
    }

    /// <summary>The same for a descriptor-returning call: disposes nothing, the handle is invalid.</summary>
    public static SafeFd Check(SafeFd fd, string call, string? path)
    {
        if (fd.IsInvalid)
        {
            int errno = Marshal.GetLastPInvokeError();
            fd.SetHandleAsInvalid();
            throw new NativeException(call, path, errno);
        }
        return fd;
    }
}
