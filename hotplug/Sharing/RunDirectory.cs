using System;
using System.Runtime.InteropServices;
using BlockDiskseq.Cli;
using BlockDiskseq.Devices;
using BlockDiskseq.Native;
using BlockDiskseq.Reporting;

namespace BlockDiskseq.Sharing;

/// <summary>
/// The lock directory (BLOCK_DISKSEQ_RUNDIR, default /run/block-diskseq) and the lock files in it. Whoever can
/// write there can make two adds of one image run at once (replace a lock file) or make add open something
/// else as a lock file (a symlink, a FIFO, a device node), so the directory must be root's alone: created
/// 0700, and refused when root does not own it, group or others can write it, or it is a symlink. "Root" is
/// our effective uid, which is root wherever libxl runs us; a test run as another user owns its own directory.
/// </summary>
internal static class RunDirectory
{
    private const uint GroupOrOtherWrite = 0x12; // S_IWGRP | S_IWOTH (022)
    private const uint PrivateMode = 0x1c0;      // 0700
    private const uint LockFileMode = 0x180;     // 0600
    private const uint WantedFields = LibC.STATX_TYPE | LibC.STATX_MODE | LibC.STATX_NLINK | LibC.STATX_UID;

    /// <summary>Creates the directory if missing, opens it without following a symlink, and checks who may write it.</summary>
    internal static SafeFd Open(string dir)
    {
        if (LibC.mkdir(dir, PrivateMode) == -1)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno != LibC.EEXIST)
                throw new NativeException("mkdir", dir, errno);
        }
        SafeFd fd = LibC.open(dir, LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_NOFOLLOW | LibC.O_CLOEXEC, 0);
        if (fd.IsInvalid)
        {
            int errno = Marshal.GetLastPInvokeError();
            fd.SetHandleAsInvalid();
            // O_DIRECTORY | O_NOFOLLOW on a symlink fails with ENOTDIR (the link is not a directory) or ELOOP.
            throw errno is LibC.ENOTDIR or LibC.ELOOP ? Refuse(dir, $"is {Describe(dir)}, not a directory") : new NativeException("open", dir, errno);
        }
        try
        {
            Owner owner = Owner.Of(fd, dir);
            if (owner.Uid != LibC.geteuid())
                throw Refuse(dir, $"is owned by uid {owner.Uid}, not by uid {LibC.geteuid()} (the user we run as)");
            if ((owner.Mode & GroupOrOtherWrite) != 0)
                throw Refuse(dir, $"can be written by group or others (mode {owner.Permissions})");
            return fd;
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The lock file <paramref name="name"/> in <paramref name="dir"/>, opened read-write. Created if missing
    /// (O_EXCL, so a name that appears meanwhile is not followed); an existing one is first opened with O_PATH,
    /// which opens nothing (no FIFO blocks, no device acts), checked to be a regular file of root's with one
    /// link, and only then reopened through /proc/self/fd, which reaches that same inode.
    /// </summary>
    internal static SafeFd OpenLockFile(SafeFd dir, string dirPath, string name)
    {
        string path = $"{dirPath}/{name}";
        const int ReadWrite = LibC.O_RDWR | LibC.O_CLOEXEC | LibC.O_NOCTTY;
        SafeFd created = LibC.openat(dir, name, ReadWrite | LibC.O_CREAT | LibC.O_EXCL | LibC.O_NOFOLLOW, LockFileMode);
        if (!created.IsInvalid)
            return created;
        int errno = Marshal.GetLastPInvokeError();
        created.SetHandleAsInvalid();
        if (errno != LibC.EEXIST)
            throw new NativeException("open", path, errno);
        using SafeFd found = NativeException.Check(
            LibC.openat(dir, name, LibC.O_PATH | LibC.O_NOFOLLOW | LibC.O_CLOEXEC, 0), "open(O_PATH)", path);
        Owner owner = Owner.Of(found, path);
        if (owner.Type != LibC.S_IFREG)
            throw Refuse(path, $"is {owner.TypeName}, not a regular file");
        if (owner.Uid != LibC.geteuid() || owner.Links != 1)
            throw Refuse(path, $"is owned by uid {owner.Uid} with {owner.Links} links, not ours ({LibC.geteuid()}) with one");
        return NativeException.Check(LibC.open($"/proc/self/fd/{found.Fd}", ReadWrite, 0), "open", path);
    }

    /// <summary>What the path names, not following a symlink: for the message only, never to decide.</summary>
    private static unsafe string Describe(string path)
    {
        LibC.statx_t st;
        return LibC.statx(LibC.AT_FDCWD, path, LibC.AT_SYMLINK_NOFOLLOW, WantedFields, &st) == 0
            ? new Owner(st.stx_mode, st.stx_uid, st.stx_nlink).TypeName
            : "something else";
    }

    private static HotplugFailure Refuse(string path, string what)
        => new($"lock directory {Settings.RunDirectoryVariable}: {path} {what}: refusing to use it "
            + "(it must be a directory of root's that only root can write, mode 0700 when we create it)");

    /// <summary>Who owns an open file and who may write it.</summary>
    private readonly record struct Owner(uint Mode, uint Uid, uint Links)
    {
        public uint Type => Mode & LibC.S_IFMT;

        public string Permissions => "0" + Convert.ToString(Mode & 0xfff, 8);

        public string TypeName => new FileStatus(Mode, 0, 0, default, 0).TypeName;

        public static unsafe Owner Of(SafeFd fd, string path)
        {
            LibC.statx_t st;
            NativeException.Check(LibC.statx(fd, "", LibC.AT_EMPTY_PATH, WantedFields, &st), "statx", path);
            return new Owner(st.stx_mode, st.stx_uid, st.stx_nlink);
        }
    }
}
