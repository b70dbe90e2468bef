using System.Runtime.InteropServices;

namespace XenstoreInterop;

/// <summary>The libc calls the wrapper needs beside libxenstore (hand-written: they are not in xenstore.h).</summary>
internal static unsafe partial class LibC
{
    private const string LibraryName = "libc.so.6";

    // <asm-generic/errno-base.h>, <asm-generic/errno.h>
    internal const int ENOENT = 2;
    internal const int EINTR = 4;
    internal const int EIO = 5;
    internal const int EBADF = 9;
    internal const int EAGAIN = 11;
    internal const int EINVAL = 22;
    internal const int EPIPE = 32;
    internal const int ECONNRESET = 104;
    internal const int ENOTCONN = 107;

    // <poll.h>
    internal const short POLLIN = 0x001;

    /// <summary>struct pollfd { int fd; short events; short revents; };</summary>
#pragma warning disable CS8981 // the C name, kept so it greps against <poll.h>
    [StructLayout(LayoutKind.Sequential)]
    internal struct pollfd
    {
        public int fd;
        public short events;   // requested events
        public short revents;  // returned events
    }
#pragma warning restore CS8981

    /// <summary>Releases what libxenstore returns: each result is one malloc block, string vectors included.</summary>
    [LibraryImport(LibraryName)]
    internal static partial void free(void* ptr);

    [LibraryImport(LibraryName, SetLastError = true)]
    internal static partial int poll(pollfd* fds, nuint nfds, int timeout);

    /// <summary>The native environment, which is what libxenstore reads (.NET's Environment is a managed copy on Unix).</summary>
    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial byte* getenv(string name);

    /// <summary>"ENOENT" for 2; NULL for an unknown number (glibc 2.32).</summary>
    [LibraryImport(LibraryName)]
    internal static partial byte* strerrorname_np(int errnum);
}
