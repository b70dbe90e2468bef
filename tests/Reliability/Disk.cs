using System;
using BlockDiskseq.TestSupport;
using BlockDiskseq.Tests.Integration;

namespace BlockDiskseq.Reliability;

/// <summary>One guest disk of a trial: its backend nodes, its emulated blkback and what params names.</summary>
internal sealed class Disk(Lab lab, Subject subject, TestBackend backend, BlkbackEmulator blkback) : IDisposable
{
    public Lab Lab { get; } = lab;
    public Subject Subject { get; } = subject;
    public TestBackend Backend { get; } = backend;
    public BlkbackEmulator Blkback { get; } = blkback;

    public string? PhysicalDevice => Backend["physical-device"];
    public string? Diskseq => Backend["diskseq"];
    public string? Record => Backend["block-diskseq/layers"];
    public bool OwnDirectoryExists => Lab.Server.Exists($"{Backend.Absolute}/block-diskseq");

    public Outcome Run(string verb, System.Collections.Generic.IReadOnlyList<string>? wrapper = null) => Lab.Run(Backend, verb, wrapper);

    /// <summary>The toolstack's teardown (blkback closes, Closed) and then its remove, as libxl runs them.</summary>
    public Outcome Teardown()
    {
        Blkback.Shutdown();
        return Run("remove");
    }

    /// <summary>libxl__device_destroy: the backend and the guest's nodes go.</summary>
    public void Dispose()
    {
        Blkback.Dispose();
        Lab.Server.Remove(Backend.Absolute);
        Lab.Server.Remove($"/local/domain/0/error/{Backend.Relative}");
        Lab.Server.Remove($"/local/domain/{Backend.FrontendId}");
    }
}
