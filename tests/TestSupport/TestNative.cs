using System.Runtime.InteropServices;

namespace BlockDiskseq.TestSupport;

/// <summary>libc calls only the tests need (making odd file types to feed OpenedTarget).</summary>
internal static partial class TestNative
{
    [LibraryImport("libc.so.6", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int mkfifo(string path, uint mode);

    [LibraryImport("libc.so.6", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int mknod(string path, uint mode, ulong dev);
}
