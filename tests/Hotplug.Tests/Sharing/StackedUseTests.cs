using System;
using System.IO;
using BlockDiskseq.Devices;
using BlockDiskseq.Sharing;
using Xunit;

namespace BlockDiskseq.Tests.Sharing;

/// <summary>On a tree shaped like /sys/dev/block/M:m (this host has no device-mapper to make real holders).</summary>
public sealed class StackedUseTests : IDisposable
{
    private readonly DirectoryInfo device = Directory.CreateTempSubdirectory("stacked-");

    public void Dispose() => device.Delete(recursive: true);

    private void Holder(string name, string? dmName)
    {
        DirectoryInfo holder = Directory.CreateDirectory(Path.Combine(device.FullName, "holders", name));
        if (dmName is not null)
            File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(holder.FullName, "dm")).FullName, "name"), dmName + "\n");
    }

    private void ReadOnly(bool ro) => File.WriteAllText(Path.Combine(device.FullName, "ro"), ro ? "1\n" : "0\n");

    private string? Conflict(string mode) => StackedUse.ConflictingHolder(device.FullName, AccessModes.Parse(mode));

    [Fact]
    public void NoHoldersNoConflict()
    {
        ReadOnly(false);
        Assert.Null(Conflict("w"));
        Directory.CreateDirectory(Path.Combine(device.FullName, "holders"));
        Assert.Null(Conflict("w"));
    }

    [Fact]
    public void AWriterConflictsWithAnyStack()
    {
        ReadOnly(true);
        Holder("dm-4", "block-diskseq-5-51712-snap");
        Assert.Equal("dm-4, block-diskseq-5-51712-snap", Conflict("w"));
    }

    [Fact]
    public void ReadersShareOnlyWithAStackThatReads()
    {
        Holder("md0", null);
        ReadOnly(true);
        Assert.Null(Conflict("r"));
        ReadOnly(false);
        Assert.Equal("md0", Conflict("r"));
    }
}
