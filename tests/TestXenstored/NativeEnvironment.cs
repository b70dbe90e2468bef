using System.Runtime.InteropServices;

namespace TestXenstored;

/// <summary>
/// The process environment libxenstore reads with getenv(). On Unix, .NET's Environment.SetEnvironmentVariable
/// changes only a managed copy, so XENSTORED_PATH has to be set here for xs_open to see it.
/// </summary>
public static partial class NativeEnvironment
{
    public static void Set(string name, string value)
    {
        if (setenv(name, value, 1) != 0)
            throw new System.ComponentModel.Win32Exception(Marshal.GetLastPInvokeError(), $"setenv {name}");
    }

    public static void Unset(string name)
    {
        if (unsetenv(name) != 0)
            throw new System.ComponentModel.Win32Exception(Marshal.GetLastPInvokeError(), $"unsetenv {name}");
    }

    [LibraryImport("libc.so.6", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);

    [LibraryImport("libc.so.6", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int unsetenv(string name);
}
