using System.Runtime.InteropServices;

namespace BlockDiskseq.Native;

internal static partial class LibC
{
    // <dirent.h>, glibc on x86-64 and arm64 (64-bit ino_t and off_t); dirent_t because C# cannot name a type in lower case only:
    // struct dirent { ino_t d_ino; off_t d_off; unsigned short d_reclen; unsigned char d_type; char d_name[256]; };
    // readdir rather than .NET's enumeration: that stats the target of every symlink entry to learn whether
    // it is a directory, and /proc/PID/fd/N links lead to files on any filesystem, a hung one included.
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct dirent_t
    {
        public ulong d_ino;
        public long d_off;
        public ushort d_reclen;
        public byte d_type;
        public fixed byte d_name[256];
    }

    [LibraryImport(LibraryNames.LibC, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial SafeDir opendir(string name);

    /// <summary>The next entry, or null at the end (or on an error: errno says which).</summary>
    [LibraryImport(LibraryNames.LibC, SetLastError = true)]
    internal static unsafe partial dirent_t* readdir(SafeDir dir);

    [LibraryImport(LibraryNames.LibC)]
    internal static partial int closedir(nint dir);

    /// <summary>The fd under an open DIR*, for *at calls relative to the directory; it stays the DIR's.</summary>
    [LibraryImport(LibraryNames.LibC)]
    internal static partial int dirfd(SafeDir dir);
}

/// <summary>An owned DIR* (opendir); null is the only invalid value.</summary>
internal sealed class SafeDir : SafeHandle
{
    public SafeDir() : base(invalidHandleValue: 0, ownsHandle: true) { }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle() => LibC.closedir(handle) == 0;

    /// <summary>The names in a directory, without "." and ".."; empty if it cannot be opened (gone, or not ours).</summary>
    internal static unsafe System.Collections.Generic.List<string> Names(string path)
    {
        var names = new System.Collections.Generic.List<string>();
        using SafeDir dir = LibC.opendir(path);
        if (dir.IsInvalid)
            return names;
        for (LibC.dirent_t* entry = LibC.readdir(dir); entry != null; entry = LibC.readdir(dir))
        {
            string name = Marshal.PtrToStringUTF8((nint)entry->d_name) ?? "";
            if (name is not ("" or "." or ".."))
                names.Add(name);
        }
        return names;
    }
}
