using System.Runtime.InteropServices;

namespace BlockDiskseq.Tests.Blkback;

/// <summary>The one call the emulator needs that the product does not: blkback opens by dev_t, we by a node we make.</summary>
internal static partial class EmulatorNative
{
    internal const uint S_IFBLK = 0x6000;

    [LibraryImport("libc.so.6", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int mknod(string path, uint mode, ulong dev);
}
