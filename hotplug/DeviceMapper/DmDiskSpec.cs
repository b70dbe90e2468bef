using System;
using System.Collections.Generic;
using BlockDiskseq.Devices;
using BlockDiskseq.Reporting;

namespace BlockDiskseq.DeviceMapper;

/// <summary>
/// The device-mapper disk kinds of <c>params</c> (docs/design.md, "Device-mapper"), recognised by their prefix; anything else is
/// a plain target (DiskTarget). Parsed strictly: known keys once each, canonical decimal numbers, paths
/// as DiskTarget checks them (so "sdb" means /dev/sdb there too); every error names the form expected.
///   snapshot:origin=PATH,cow=PATH[,chunk=SECTORS]   persistent dm-snapshot, COW kept in PATH
///   snapshot:origin=PATH[,cow-size=BYTES]           throwaway snapshot, COW in an unnamed sparse file
///   slice:path=PATH,offset=SECTORS,sectors=SECTORS  dm-linear window of a file or device
/// A PATH cannot contain ',' (the separator); xl passes target= verbatim, so '=' and spaces are fine.
/// </summary>
internal abstract record DmDiskSpec
{
    internal const string SnapshotPrefix = "snapshot:";
    internal const string SlicePrefix = "slice:";
    internal const string Forms = "snapshot:origin=PATH,cow=PATH[,chunk=SECTORS], snapshot:origin=PATH[,cow-size=BYTES] "
        + "or slice:path=PATH,offset=SECTORS,sectors=SECTORS";

    /// <summary>The dm layer name this kind uses in DmName.</summary>
    internal abstract string Layer { get; }

    internal static bool IsDmForm(string parameters)
        => parameters.StartsWith(SnapshotPrefix, StringComparison.Ordinal) || parameters.StartsWith(SlicePrefix, StringComparison.Ordinal);

    internal static DmDiskSpec Parse(string parameters)
    {
        try
        {
            return parameters.StartsWith(SnapshotPrefix, StringComparison.Ordinal)
                ? ParseSnapshot(new DmSpecFields(parameters[SnapshotPrefix.Length..], "origin", "cow", "chunk", "cow-size"))
                : parameters.StartsWith(SlicePrefix, StringComparison.Ordinal)
                    ? ParseSlice(new DmSpecFields(parameters[SlicePrefix.Length..], "path", "offset", "sectors"))
                    : throw new FormatException("not a device-mapper form");
        }
        catch (FormatException e)
        {
            throw new HotplugFailure($"params {Printable.Quote(parameters)}: {e.Message}; the device-mapper forms are {Forms}");
        }
    }

    private static DmDiskSpec ParseSnapshot(DmSpecFields fields)
    {
        DiskTarget origin = fields.Path("origin");
        if (fields.Has("cow"))
        {
            if (fields.Has("cow-size"))
                throw new FormatException("cow-size= is for a throwaway snapshot, which has no cow=");
            DiskTarget cow = fields.Path("cow");
            if (cow.Path == origin.Path)
                throw new FormatException("origin and cow are the same path");
            uint chunk = fields.Has("chunk") ? SnapshotSpec.CheckChunk(fields.Number("chunk")) : SnapshotSpec.DefaultChunkSectors;
            return new SnapshotSpec(origin, cow, chunk);
        }
        if (fields.Has("chunk"))
            throw new FormatException("chunk= needs cow= (a throwaway snapshot uses the default chunk size)");
        return new ThrowawaySnapshotSpec(origin, fields.Has("cow-size") ? ThrowawaySnapshotSpec.CheckCowSize(fields.Number("cow-size")) : null);
    }

    private static DmDiskSpec ParseSlice(DmSpecFields fields)
    {
        DiskTarget path = fields.Path("path");
        ulong offset = fields.Number("offset");
        ulong sectors = fields.Number("sectors");
        if (sectors == 0)
            throw new FormatException("sectors= must be at least 1");
        if (offset > SliceSpec.MaxSectors || sectors > SliceSpec.MaxSectors - offset)
            throw new FormatException($"offset + sectors exceeds {SliceSpec.MaxSectors} (the largest device in 512-byte sectors)");
        return new SliceSpec(path, offset, sectors);
    }
}

/// <summary>A persistent snapshot: writes go to the COW (its own file or device), the origin is only read.</summary>
internal sealed record SnapshotSpec(DiskTarget Origin, DiskTarget Cow, uint ChunkSectors) : DmDiskSpec
{
    /// <summary>4 KiB, LVM's default for snapshots.</summary>
    internal const uint DefaultChunkSectors = 8;
    /// <summary>LVM's range, 4 KiB to 512 KiB; dm-snapshot wants a power of two (dm-exception-store.c).</summary>
    internal const uint MinChunkSectors = 8;
    internal const uint MaxChunkSectors = 1024;

    internal override string Layer => "snap";

    internal static uint CheckChunk(ulong sectors)
        => sectors is >= MinChunkSectors and <= MaxChunkSectors && ulong.IsPow2(sectors) ? (uint)sectors
         : throw new FormatException($"chunk={sectors} is not a power of two from {MinChunkSectors} to {MaxChunkSectors} sectors");
}

/// <summary>A disposable snapshot: the COW is an unnamed sparse file, gone with the last reference to it.</summary>
internal sealed record ThrowawaySnapshotSpec(DiskTarget Origin, ulong? CowSizeBytes) : DmDiskSpec
{
    internal const ulong MinCowSizeBytes = 1 << 20;
    /// <summary>Chunk-sized units; a 4 KiB multiple also suits every logical block size.</summary>
    internal const ulong CowSizeUnit = SnapshotSpec.DefaultChunkSectors * 512;

    internal override string Layer => "snap";

    internal static ulong CheckCowSize(ulong bytes)
        => bytes >= MinCowSizeBytes && bytes % CowSizeUnit == 0 && bytes <= SliceSpec.MaxSectors * 512 ? bytes
         : throw new FormatException($"cow-size={bytes} is not a multiple of {CowSizeUnit} bytes of at least {MinCowSizeBytes}");
}

/// <summary>A window of a file or device: sectors [Offset, Offset + Sectors).</summary>
internal sealed record SliceSpec(DiskTarget Path, ulong OffsetSectors, ulong Sectors) : DmDiskSpec
{
    /// <summary>Byte offsets must fit loff_t (a signed 64-bit value).</summary>
    internal const ulong MaxSectors = long.MaxValue / 512;

    internal override string Layer => "slice";
}
