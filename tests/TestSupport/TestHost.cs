using System;
using System.IO;
using TestXenstored;

namespace BlockDiskseq.TestSupport;

/// <summary>
/// What block-diskseq runs against in a test or a benchmark: a scratch directory, a fake sysfs root (the
/// mainline blkback emulator's physical_device files), a run directory for the program's lock files, and a
/// test Xenstore server holding dom0's own nodes. HotplugHarness and bench/'s World build on it.
/// </summary>
internal sealed class TestHost : IDisposable
{
    public TestHost(string prefix)
    {
        Root = Directory.CreateTempSubdirectory(prefix).FullName;
        SysfsRoot = Directory.CreateDirectory(Path.Combine(Root, "sysfs")).FullName;
        RunDir = Path.Combine(Root, "run");
        Server = XenstoreServer.Start(Path.Combine(Root, "xs.sock"));
        Server.Write("/local/domain/0/domid", "0");
        Server.Write("/local/domain/0/name", "Domain-0");
    }

    public string Root { get; }
    public string SysfsRoot { get; }
    public string RunDir { get; }
    public XenstoreServer Server { get; }

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
