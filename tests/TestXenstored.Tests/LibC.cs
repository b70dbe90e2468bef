using System.Runtime.InteropServices;

namespace TestXenstored.Tests;

/// <summary>The one libc call the tests need: Process.Kill only sends SIGKILL.</summary>
internal static partial class LibC
{
    public const int SIGTERM = 15;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int kill(int pid, int sig);
}
