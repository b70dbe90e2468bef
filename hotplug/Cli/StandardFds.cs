using BlockDiskseq.Native;

namespace BlockDiskseq.Cli;

/// <summary>
/// libxl gives the script stdin=/dev/null, but a script run by hand or by another toolstack may start
/// with fds 0-2 closed; the runtime's Console then throws (exit 134) and our own opens would land on
/// 0-2. Reopen any closed one on /dev/null before anything else runs.
/// </summary>
internal static class StandardFds
{
    internal static void Repair()
    {
        for (int fd = 0; fd <= 2; fd++)
        {
            if (LibC.fcntl(fd, LibC.F_GETFD, 0) != -1)
                continue;
            // open() returns the lowest free fd, which is this one; keep it open for the process lifetime.
            using SafeFd devNull = LibC.open("/dev/null", LibC.O_RDWR, 0);
            if (devNull.IsInvalid)
                continue; // nothing better to do; Log copes with a missing stderr
            if (devNull.Fd != fd)
                _ = LibC.dup2(devNull.Fd, fd); // best effort: Log still copes if this fails
            else
                devNull.SetHandleAsInvalid(); // the fd is now the standard descriptor: do not close it
        }
    }

    /// <summary>Whether fd 2 is a socket (a journal stream, say): written with send(MSG_DONTWAIT) then.</summary>
    private static bool stderrIsSocket;

    /// <summary>
    /// A stderr nobody reads must not hold the program: libxl normally gives the script a file (never
    /// blocks), but a person's pipe or a service's journal socket can fill. O_NONBLOCK on fd 2 itself would
    /// change the open file description we share with whoever started us (their writes would start failing
    /// with EAGAIN), so: a pipe or FIFO is opened again through /proc/self/fd/2, which makes a description of
    /// our own for the same pipe, non-blocking, and that replaces fd 2; a socket is written with
    /// send(MSG_DONTWAIT), which is per call. A regular file or a terminal is left as it is. What does not
    /// fit is dropped (Log counts it).
    /// </summary>
    internal static unsafe void KeepStderrFromBlocking()
    {
        LibC.statx_t st;
        if (LibC.statx(2, "", LibC.AT_EMPTY_PATH, LibC.STATX_TYPE, &st) != 0)
            return;
        if ((st.stx_mode & LibC.S_IFMT) == LibC.S_IFSOCK)
            stderrIsSocket = true;
        if ((st.stx_mode & LibC.S_IFMT) != LibC.S_IFIFO)
            return;
        // ENXIO: no reader left, so a write would fail at once (EPIPE) anyway: keep fd 2.
        using SafeFd own = LibC.open("/proc/self/fd/2", LibC.O_WRONLY | LibC.O_NONBLOCK | LibC.O_CLOEXEC, 0);
        if (!own.IsInvalid)
            _ = LibC.dup2(own.Fd, 2); // dup2 clears FD_CLOEXEC on fd 2; failing, fd 2 stays as it was
    }

    /// <summary>write(2), or for a socket stderr send(2) without waiting; -1 (errno set) on failure.</summary>
    internal static unsafe nint Write(int fd, byte* buffer, nuint count)
        => fd == 2 && stderrIsSocket
            ? LibC.send(fd, buffer, count, LibC.MSG_DONTWAIT | LibC.MSG_NOSIGNAL)
            : LibC.write(fd, buffer, count);
}
