using System.Runtime.InteropServices;

namespace TestXenstored;

/// <summary>
/// send(2) with flags, which .NET's Socket.Send does not pass on: MSG_DONTWAIT makes one send non-blocking
/// while the connection's reader keeps blocking in recv on the same socket.
/// </summary>
internal static unsafe partial class LibC
{
    public const int EINTR = 4;
    public const int EAGAIN = 11; // EWOULDBLOCK on Linux
    public const int MSG_DONTWAIT = 0x40;
    public const int MSG_NOSIGNAL = 0x4000; // EPIPE instead of SIGPIPE for a client that has gone

    [LibraryImport("libc.so.6", SetLastError = true)]
    public static partial nint send(SafeHandle sockfd, byte* buf, nuint len, int flags);
}
