using System;
using System.IO;
using TestXenstored;

namespace BlockDiskseq.TestSupport;

/// <summary>
/// What block-diskseq runs against in a test or a benchmark: a scratch directory, a sysfs root (SysfsTree), a run directory for the program's lock files, a log
/// directory standing in for /var/log/xen (the hotplug log), and a test Xenstore server holding dom0's own
/// nodes. HotplugHarness and bench/'s World build on it.
/// </summary>
internal sealed class TestHost : IDisposable
{
    public TestHost(string prefix)
    {
        Root = Directory.CreateTempSubdirectory(prefix).FullName;
        SysfsRoot = SysfsTree(Path.Combine(Root, "sysfs"));
        RunDir = Path.Combine(Root, "run");
        LogDir = Directory.CreateDirectory(Path.Combine(Root, "log")).FullName;
        Server = XenstoreServer.Start(Path.Combine(Root, "xs.sock"));
        Server.Write("/local/domain/0/domid", "0");
        Server.Write("/local/domain/0/name", "Domain-0");
    }

    public string Root { get; }
    public string SysfsRoot { get; }
    public string RunDir { get; }
    public string LogDir { get; }
    /// <summary>The hotplug log the program appends to under LogDir.</summary>
    public string HotplugLogPath => Path.Combine(LogDir, "xen-hotplug.log");
    public XenstoreServer Server { get; }

    /// <summary>
    /// The program has one sysfs root (BLOCK_DISKSEQ_SYSFS) for the device checks and for what blkback holds.
    /// This tree is the real /sys, entry by entry as links, except bus/: a directory of its own where the
    /// mainline blkback emulator makes bus/xen-backend/devices/vbd-D-N/physical_device. Deleting the tree
    /// removes the links, never what they point to.
    /// </summary>
    internal static string SysfsTree(string path)
    {
        Directory.CreateDirectory(Path.Combine(path, "bus"));
        foreach (string entry in Directory.EnumerateFileSystemEntries("/sys"))
        {
            if (Path.GetFileName(entry) != "bus")
                File.CreateSymbolicLink(Path.Combine(path, Path.GetFileName(entry)), entry);
        }
        return path;
    }

    /// <summary>Stops the server and deletes the directory with everything in it.</summary>
    public void Dispose()
    {
        try
        {
            Server.Dispose();
        }
        finally
        {
            Directory.Delete(Root, recursive: true);
        }
    }
}
