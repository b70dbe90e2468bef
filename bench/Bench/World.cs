using System;
using System.Collections.Generic;
using System.IO;
using BlockDiskseq.TestSupport;
using TestXenstored;

namespace BlockDiskseq.Bench;

/// <summary>
/// The test Xenstore server, sparse image files and emulated blkbacks that both scripts run against.
/// Each disk is written the way libxl writes it and torn down the way libxl does (Closed, then remove,
/// then the backend directory deleted).
/// </summary>
internal sealed class World : IDisposable
{
    private const long ImageSize = 16 << 20;

    private readonly TestHost host = new("bdbench-");

    public string Root => host.Root;
    public string SysfsRoot => host.SysfsRoot;
    public string RunDir => host.RunDir;
    public string LogDir => host.LogDir;
    public XenstoreServer Server => host.Server;

    public string Image(int index)
    {
        string path = Path.Combine(Root, $"disk{index}.img");
        if (!File.Exists(path))
        {
            using FileStream image = File.Create(path);
            image.SetLength(ImageSize);
        }
        return path;
    }

    /// <summary>libxl's nodes for one disk plus a blkback in InitWait.</summary>
    public Disk Disk(uint domid, int imageIndex, BlkbackFlavour flavour = BlkbackFlavour.Series)
    {
        Server.Write($"/local/domain/{domid}/vm", $"/vm/00000000-0000-0000-0000-{domid:d12}");
        var backend = new TestBackend(Server, domid, 51712);
        backend.WriteLibxlNodes(Image(imageIndex), "w");
        // Xen's script writes no diskseq; the series' blkback then opens the device unchecked, and so does this one.
        var blkback = new BlkbackEmulator(Server, domid, 51712, flavour, SysfsRoot) { AcceptMissingDiskseq = true };
        return new Disk(this, backend, blkback);
    }

    public void Dispose() => host.Dispose();
}

internal sealed class Disk(World world, TestBackend backend, BlkbackEmulator blkback) : IDisposable
{
    public TestBackend Backend { get; } = backend;
    public BlkbackEmulator Blkback { get; } = blkback;

    /// <summary>
    /// libxl__device_destroy after the remove script: the backend and frontend directories go, and with the
    /// backend the kernel's vbd-D-N device on the xen-backend bus (BlkbackEmulator.Dispose). Left behind, every
    /// later add of this world read each stale vbd's physical-device from Xenstore (85 requests per add after
    /// the parallel stages).
    /// </summary>
    public void Dispose()
    {
        Blkback.Dispose();
        world.Server.Remove(Backend.Absolute);
        world.Server.Remove($"/local/domain/{Backend.FrontendId}");
    }

    public static void EnsureHeld(IEnumerable<Disk> disks)
    {
        foreach (Disk disk in disks)
            if (!disk.Blkback.WaitUntilHeld(TimeSpan.FromSeconds(10)))
                throw new InvalidOperationException($"blkback never opened the device of {disk.Backend.Relative}");
    }
}
