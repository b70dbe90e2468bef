using BlockDiskseq.Reporting;
namespace BlockDiskseq.Devices;

/// <summary>The backend's canonical mode, as Xen's canonicalise_mode (block-common.sh) reduces it.</summary>
internal enum AccessMode
{
    /// <summary>r: read-only for the guest.</summary>
    Read,
    /// <summary>w: read-write, subject to the sharing checks and the read-only image rule.</summary>
    Write,
    /// <summary>w!: read-write with no checks (Xen's "!").</summary>
    WriteUnchecked,
}

internal static class AccessModes
{
    /// <summary>
    /// Parses the backend's <c>mode</c> node. libxl only ever writes "r" or "w"; "w!" and the long forms
    /// come from hand-written or legacy configurations. canonicalise_mode maps any string by whether it
    /// contains 'w' and '!' (so "r!" or "xyz" pass as r there); we accept only the six spellings with a meaning.
    /// </summary>
    internal static AccessMode Parse(string mode) => mode switch
    {
        "r" or "ro" => AccessMode.Read,
        "w" or "rw" => AccessMode.Write,
        "w!" or "rw!" => AccessMode.WriteUnchecked,
        _ => throw new HotplugFailure($"mode {Printable.Quote(mode)} is not one of r, w, w!, ro, rw, rw!"),
    };

    internal static bool IsWritable(this AccessMode mode) => mode != AccessMode.Read;
}
