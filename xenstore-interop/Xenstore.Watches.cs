using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace XenstoreInterop;

// Watches. xs_watch starts libxenstore's reader thread (a pthread that never calls managed code); events
// queue in libxenstore and are taken here with poll() on FileDescriptor, so no thread of ours waits.
public sealed unsafe partial class Xenstore
{
    /// <summary>
    /// Watches <paramref name="path"/> and everything below it. The daemon fires the watch once right away
    /// (the protocol does, so a watcher cannot miss the state it starts from): the first
    /// <see cref="WaitForWatchEvent"/> returns that event with <paramref name="path"/> itself.
    /// </summary>
    public void Watch(string path, string token) => SetWatch(path, token, watch: true);

    public void Unwatch(string path, string token) => SetWatch(path, token, watch: false);

    private void SetWatch(string path, string token, bool watch)
    {
        bool done;
        fixed (byte* cpath = CString(path))
        fixed (byte* ctoken = CString(token))
            done = watch ? LibXenstore.xs_watch(Handle, cpath, ctoken) : LibXenstore.xs_unwatch(Handle, cpath, ctoken);
        XenstoreException.ThrowIfFailed(done, watch ? "xs_watch" : "xs_unwatch", path);
    }

    /// <summary>
    /// The next watch event, or null if none arrives within <paramref name="timeout"/>
    /// (<see cref="Timeout.InfiniteTimeSpan"/> waits for ever). Includes the event every Watch fires at once.
    /// </summary>
    public XenstoreWatchEvent? WaitForWatchEvent(TimeSpan timeout)
    {
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "must be positive or infinite");
        long deadline = Environment.TickCount64 + (long)Math.Ceiling(timeout.TotalMilliseconds);
        var pollFd = new LibC.pollfd { fd = FileDescriptor, events = LibC.POLLIN };
        while (true)
        {
            // EINTR comes back here; the wait is recomputed, so signals never stretch the deadline.
            int wait = timeout == Timeout.InfiniteTimeSpan
                ? -1
                : (int)Math.Clamp(deadline - Environment.TickCount64, 0, int.MaxValue);
            int ready = LibC.poll(&pollFd, 1, wait);
            int errno = Marshal.GetLastPInvokeError();
            if (ready > 0 && (pollFd.revents & LibC.POLLIN) != 0)
                return ReadWatchEvent();
            if (ready == 0)
                return null;
            if (ready < 0 && errno != LibC.EINTR)
                throw new XenstoreException("poll", $"xs_fileno {pollFd.fd}", errno);
            if (ready > 0)
                throw new XenstoreException("poll", $"xs_fileno {pollFd.fd}", LibC.EIO, $"revents 0x{pollFd.revents:x}");
        }
    }

    // Called only when the pipe says an event is queued, so xs_read_watch does not block.
    private XenstoreWatchEvent ReadWatchEvent()
    {
        uint count;
        byte** fields = LibXenstore.xs_read_watch(Handle, &count);
        XenstoreException.ThrowIfFailed(fields != null, "xs_read_watch", null);
        try
        {
            if (count <= (uint)xs_watch_type.XS_WATCH_TOKEN)
                throw new XenstoreException("xs_read_watch", null, LibC.EINVAL, $"({count} fields)");
            return new XenstoreWatchEvent(String(fields[(int)xs_watch_type.XS_WATCH_PATH]),
                                          String(fields[(int)xs_watch_type.XS_WATCH_TOKEN]));
        }
        finally
        {
            LibC.free(fields);  // the strings live in the same block
        }
    }
}
