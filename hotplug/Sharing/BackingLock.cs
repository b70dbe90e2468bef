using System;
using System.Runtime.InteropServices;
using BlockDiskseq.Cli;
using BlockDiskseq.Devices;
using BlockDiskseq.Native;
using BlockDiskseq.Reporting;

namespace BlockDiskseq.Sharing;

/// <summary>
/// An exclusive flock on a lock file named after one backing object (st_dev, st_ino), so only scripts
/// working on the same file or device wait for each other, unlike Xen's single global "block" lock.
/// The flow holds it across the sharing check and the Xenstore publish, then disposes it.
/// </summary>
internal sealed class BackingLock : IDisposable
{
    // flock has no timeout, so Acquire polls with LOCK_NB (PollBackoff). A holder keeps the lock for
    // milliseconds (a scan and one transaction), so most waits end in a few polls; the caller's timeout
    // bounds the total.

    public string Path { get; }
    private readonly SafeFd fd;

    private BackingLock(string path, SafeFd fd)
    {
        Path = path;
        this.fd = fd;
    }

    /// <summary>Set once by Program.Main from Settings.RunDirectory.</summary>
    internal static string RunDir { get; set; } = Settings.DefaultRunDirectory;

    /// <summary>
    /// Lock files are never deleted. Deleting one while another process has it open and waits in flock
    /// lets that process lock the unlinked inode while a third creates and locks a new file: two holders.
    /// Xen's locking.sh deletes and therefore needs its stat-compare retry loop (with-lock-ex); keeping the
    /// files needs none. They are empty, one per backing object ever used, and /run is emptied at boot.
    /// </summary>
    public static BackingLock Acquire(ulong stDev, ulong stIno, TimeSpan timeout)
        => Acquire(RunDir, stDev, stIno, timeout);

    /// <summary>The same in a given directory (tests run in parallel and must not share the environment).</summary>
    internal static BackingLock Acquire(string dir, ulong stDev, ulong stIno, TimeSpan timeout)
    {
        string name = $"{DeviceNumber.FromDevT(stDev)}-{stIno:x}.lock";
        string path = $"{dir}/{name}";
        using SafeFd dirFd = RunDirectory.Open(dir);
        SafeFd fd = RunDirectory.OpenLockFile(dirFd, dir, name);
        try
        {
            WaitForLock(fd, path, timeout);
            return new BackingLock(path, fd);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    private static void WaitForLock(SafeFd fd, string path, TimeSpan timeout)
    {
        var backoff = new PollBackoff(timeout);
        while (LibC.flock(fd, LibC.LOCK_EX | LibC.LOCK_NB) == -1)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno != LibC.EAGAIN && errno != LibC.EINTR)
                throw new NativeException("flock(LOCK_EX)", path, errno);
            if (!backoff.Wait())
                throw new HotplugFailure(
                    $"timed out after {timeout.TotalSeconds:0.###} s waiting for {path}: another hotplug script is using the same backing object");
        }
    }

    /// <summary>Closing the only fd to the lock file's open file description releases the flock.</summary>
    public void Dispose() => fd.Dispose();
}
