using System.Runtime.InteropServices;

namespace BlockDiskseq.Native;

internal static partial class LibC
{
    // <bits/socket.h>, <bits/socket_type.h> (x86-64 / arm64 values)
    internal const int AF_UNIX = 1;
    internal const int SOCK_DGRAM = 2;
    internal const int SOCK_NONBLOCK = 0x800;
    internal const int SOCK_CLOEXEC = 0x80000;
    internal const int MSG_DONTWAIT = 0x40;
    internal const int MSG_NOSIGNAL = 0x4000; // a closed peer answers EPIPE instead of killing us with SIGPIPE

    /*
     * <sys/un.h>
     * struct sockaddr_un { sa_family_t sun_family; char sun_path[108]; };   // sa_family_t is unsigned short
     */
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct sockaddr_un
    {
        internal const int PathSize = 108;
        internal ushort sun_family;
        internal fixed byte sun_path[PathSize]; // NUL-terminated path
    }

    [LibraryImport(LibraryNames.LibC, SetLastError = true)]
    internal static partial SafeFd socket(int domain, int type, int protocol);

    [LibraryImport(LibraryNames.LibC, SetLastError = true)]
    internal static unsafe partial int connect(SafeFd sockfd, sockaddr_un* addr, uint addrlen);

    [LibraryImport(LibraryNames.LibC, SetLastError = true)]
    internal static unsafe partial nint send(SafeFd sockfd, byte* buf, nuint len, int flags);

    /// <summary>send on a descriptor we do not own (stderr, when it is a socket: Cli/StandardFds).</summary>
    [LibraryImport(LibraryNames.LibC, SetLastError = true)]
    internal static unsafe partial nint send(int sockfd, byte* buf, nuint len, int flags);
}
