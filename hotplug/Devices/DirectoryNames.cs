using System;
using System.Collections.Generic;
using System.Text;
using BlockDiskseq.Native;

namespace BlockDiskseq.Devices;

/// <summary>
/// The names in a directory, read with getdents64 and nothing else. .NET's enumerators stat every symlink
/// to tell whether it is a directory, and sysfs directories such as /sys/block are all symlinks: two extra
/// syscalls per entry, which matter where a host has a hundred loop devices.
/// </summary>
internal static class DirectoryNames
{
    private const int BufferSize = 32 * 1024;

    internal static unsafe List<string> Read(SafeFd dir, string path, Func<ReadOnlySpan<byte>, bool> wanted)
    {
        var names = new List<string>();
        byte[] buffer = new byte[BufferSize];
        fixed (byte* start = buffer)
        {
            while (true)
            {
                nint filled = NativeException.Check(LibC.getdents64(dir, start, BufferSize), "getdents64", path);
                if (filled == 0)
                    return names;
                for (int offset = 0; offset < filled;)
                {
                    int length = *(ushort*)(start + offset + LibC.DirentRecordLengthOffset);
                    var name = new ReadOnlySpan<byte>(start + offset + LibC.DirentNameOffset, length - LibC.DirentNameOffset);
                    name = name[..name.IndexOf((byte)0)];
                    if (wanted(name))
                        names.Add(Encoding.UTF8.GetString(name));
                    offset += length;
                }
            }
        }
    }
}
