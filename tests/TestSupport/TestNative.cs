using System.Runtime.InteropServices;

namespace BlockDiskseq.TestSupport;

/// <summary>libc calls only the tests need (making odd file types to feed OpenedTarget).</summary>
internal static partial class TestNative
{
    [LibraryImport("libc.so.6", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int mkfifo(string path, uint mode);

    [LibraryImport("libc.so.6", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int mknod(string path, uint mode, ulong dev);

    [LibraryImport("libc.so.6", SetLastError = true)]
    internal static unsafe partial nint pread(BlockDiskseq.Native.SafeFd fd, byte* buffer, nuint count, long offset);

    /// <summary>Up to <paramref name="count"/> bytes at offset 0 through the fd, as text ("" at the end of the device).</summary>
    internal static unsafe string ReadStart(BlockDiskseq.Native.SafeFd fd, int count)
    {
        byte[] buffer = new byte[count];
        nint read;
        fixed (byte* start = buffer)
            read = pread(fd, start, (nuint)count, 0);
        return read < 0 ? throw new System.IO.IOException($"pread: errno {Marshal.GetLastPInvokeError()}")
            : System.Text.Encoding.ASCII.GetString(buffer, 0, (int)read);
    }

    [LibraryImport("libc.so.6", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int chown(string path, uint owner, uint group);

    [LibraryImport("libc.so.6", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int link(string oldpath, string newpath);
}
