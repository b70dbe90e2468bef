using System;
using System.Collections.Generic;
using System.Linq;
using BlockDiskseq.Devices;

namespace BlockDiskseq.Backend;

internal enum LayerKind
{
    /// <summary>A loop device attached to an image file.</summary>
    Loop,
    /// <summary>A device-mapper device (snapshot, slice) on top of the layers before it.</summary>
    DeviceMapper,
}

/// <summary>One device this program created: its kind, number and the diskseq it had when created.</summary>
internal readonly record struct CreatedLayer(LayerKind Kind, DeviceNumber Device, ulong Diskseq)
{
    public override string ToString() => $"{KindName(Kind)} {Device} {DiskSequence.Format(Diskseq)}";

    internal static string KindName(LayerKind kind) => kind switch
    {
        LayerKind.Loop => "loop",
        LayerKind.DeviceMapper => "dm",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}

/// <summary>
/// The record of exactly what add created, in the backend's block-diskseq/layers node, so remove can tear
/// it down from the record alone (never from params, which may name a deleted or replaced image).
/// Format: "none" when nothing was created (a block device used as is), else the layers in creation order
/// (lowest first) joined by ";", each "KIND MAJ:MIN DISKSEQ" in hex as physical-device and diskseq are
/// written, KIND "loop" or "dm", e.g. "loop 7:3 2f" or "loop 7:3 2f;loop 7:4 30;dm fd:1 31". The parser is
/// strict: anything else is refused, not guessed at. dm devices need no name here: remove finds them by
/// number and diskseq and checks their name and uuid (DmTeardown).
/// </summary>
internal sealed class DiskseqRecord
{
    internal const string Nothing = "none";
    private const char LayerSeparator = ';';
    private const char FieldSeparator = ' ';

    public IReadOnlyList<CreatedLayer> Layers { get; }

    public DiskseqRecord(IReadOnlyList<CreatedLayer> layers) => Layers = layers;

    public static DiskseqRecord Empty { get; } = new([]);

    /// <summary>The device handed to blkback when we created it: the last layer.</summary>
    public CreatedLayer? Top => Layers.Count == 0 ? null : Layers[^1];

    public override string ToString()
        => Layers.Count == 0 ? Nothing : string.Join(LayerSeparator, Layers.Select(layer => layer.ToString()));

    public static bool TryParse(string? text, out DiskseqRecord record)
    {
        record = Empty;
        if (text is null)
            return false;
        if (text == Nothing)
            return true;
        var layers = new List<CreatedLayer>();
        foreach (string layer in text.Split(LayerSeparator))
        {
            if (!TryParseLayer(layer, out CreatedLayer parsed))
                return false;
            layers.Add(parsed);
        }
        record = new DiskseqRecord(layers);
        return true;
    }

    private static bool TryParseLayer(string text, out CreatedLayer layer)
    {
        layer = default;
        string[] fields = text.Split(FieldSeparator);
        if (fields.Length != 3 || !TryParseKind(fields[0], out LayerKind kind)
            || !DeviceNumber.TryParse(fields[1], out DeviceNumber device)
            || !TryParseDiskseq(fields[2], out ulong diskseq))
            return false;
        layer = new CreatedLayer(kind, device, diskseq);
        return true;
    }

    private static bool TryParseKind(string text, out LayerKind kind)
    {
        foreach (LayerKind candidate in Enum.GetValues<LayerKind>())
        {
            if (CreatedLayer.KindName(candidate) == text)
            {
                kind = candidate;
                return true;
            }
        }
        kind = default;
        return false;
    }

    /// <summary>Only the form we write (lower case): a record that differs was not written by us.</summary>
    private static bool TryParseDiskseq(string text, out ulong diskseq)
        => DiskSequence.TryParse(text, out diskseq) && text == DiskSequence.Format(diskseq);
}
