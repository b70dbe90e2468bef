using System;
using BlockDiskseq.Reporting;

namespace BlockDiskseq.DeviceMapper;

/// <summary>
/// The one naming scheme for every dm device this program creates (docs/design.md, "Device-mapper"):
///   name  block-diskseq-DOMID-DEVID-LAYER                 e.g. block-diskseq-7-51712-snap
///   uuid  BLOCK-DISKSEQ-DOMID-DEVID-LAYER-RANDOM          RANDOM = 16 lower-case hex digits (64 bits)
/// DOMID is the frontend domain and DEVID the vbd's device id (the last two parts of the backend path),
/// both decimal; LAYER names the device's role in the disk's stack. The name makes leftovers findable by
/// `status` and by the next add of the same vbd; the random part makes the uuid name one incarnation, so a
/// lookup by uuid can never reach a device some other add created under the same name.
/// </summary>
internal readonly record struct DmName(uint DomainId, uint DeviceId, string Layer)
{
    internal const string NamePrefix = "block-diskseq-";
    internal const string UuidPrefix = "BLOCK-DISKSEQ-";
    internal const int RandomHexDigits = 16;
    internal const int MaxLayerLength = 16;

    public override string ToString() => $"{NamePrefix}{DomainId}-{DeviceId}-{Layer}";

    /// <summary>A fresh uuid for a new incarnation of this name.</summary>
    internal string NewUuid()
    {
        // Uniqueness, not secrecy (only root creates dm devices): Random.Shared is seeded from the OS per
        // process, and RandomNumberGenerator would add about 90 KB to the AOT image.
        Span<byte> random = stackalloc byte[RandomHexDigits / 2];
        Random.Shared.NextBytes(random);
        return $"{UuidPrefix}{DomainId}-{DeviceId}-{Layer}-{Convert.ToHexStringLower(random)}";
    }

    /// <summary>True if uuid is one this program made for this name (any incarnation).</summary>
    internal bool OwnsUuid(string? uuid)
    {
        string stem = $"{UuidPrefix}{DomainId}-{DeviceId}-{Layer}-";
        if (uuid is null || uuid.Length != stem.Length + RandomHexDigits || !uuid.StartsWith(stem, StringComparison.Ordinal))
            return false;
        foreach (char c in uuid.AsSpan(stem.Length))
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
                return false;
        return true;
    }

    internal static bool IsValidLayer(string layer)
    {
        if (layer.Length is 0 or > MaxLayerLength || !char.IsAsciiLetterLower(layer[0]))
            return false;
        foreach (char c in layer)
            if (!char.IsAsciiLetterLower(c) && !char.IsAsciiDigit(c))
                return false;
        return true;
    }

    internal static DmName Create(uint domainId, uint deviceId, string layer)
        => IsValidLayer(layer) ? new(domainId, deviceId, layer)
         : throw new ArgumentException($"invalid dm layer name {Printable.Quote(layer)}", nameof(layer));

    /// <summary>Parses a dm device name of this scheme; false for anyone else's device.</summary>
    internal static bool TryParse(string? name, out DmName parsed)
    {
        parsed = default;
        if (name is null || !name.StartsWith(NamePrefix, StringComparison.Ordinal))
            return false;
        string[] parts = name[NamePrefix.Length..].Split('-');
        if (parts.Length != 3 || !TryParseDecimal(parts[0], out uint domainId)
            || !TryParseDecimal(parts[1], out uint deviceId) || !IsValidLayer(parts[2]))
            return false;
        parsed = new DmName(domainId, deviceId, parts[2]);
        return true;
    }

    /// <summary>Canonical decimal only: digits, no sign, no leading zero (so each name has one spelling).</summary>
    private static bool TryParseDecimal(string text, out uint value)
    {
        value = 0;
        if (text.Length is 0 or > 10 || (text[0] == '0' && text.Length > 1))
            return false;
        foreach (char c in text)
            if (!char.IsAsciiDigit(c))
                return false;
        return uint.TryParse(text, out value);
    }
}
