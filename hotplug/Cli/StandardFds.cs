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
}
