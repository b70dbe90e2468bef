namespace BlockDiskseq.Native;

/// <summary>The shared libraries this program binds to; aot.props links both directly.</summary>
internal static class LibraryNames
{
    internal const string LibC = "libc.so.6";
}
