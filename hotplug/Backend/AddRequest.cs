using System.Text;
using BlockDiskseq.Devices;
using BlockDiskseq.Reporting;
using XenstoreInterop;

namespace BlockDiskseq.Backend;

/// <summary>
/// What add needs from the backend directory, read before anything is opened or created. Values are
/// checked strictly here; what they name (the target, the devices) is checked once opened.
/// <paramref name="Listed"/>: the names in the backend directory, listed once (one request), so a node that
/// is absent (physical-device, opened on mainline, a stale hotplug-error) costs no read or delete.
/// </summary>
internal sealed record AddRequest(string Parameters, AccessMode Mode, string? Opened, string? BlkbackError, BackendListing Listed)
{
    /// <summary>libxl writes "phy" for every disk with script= (docs/protocol-facts.md §2).</summary>
    internal const string PhyType = "phy";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// The state is not read here: the transaction reads it (ExportNodes.Transact), and nothing is exported
    /// unless it is 2 there. A backend directory without a state node fails now, as before.
    /// </summary>
    internal static AddRequest Read(Xenstore xs, BackendPath be, BackendListing listed)
    {
        if (!listed.Has(BackendNodes.State))
            throw ExportNodes.NotInitWait(null);
        CheckType(xs.TryRead(be.Node(BackendNodes.Type)));
        CheckFrontendId(xs.TryRead(be.Node(BackendNodes.FrontendId)), be);
        return new AddRequest(
            ReadText(xs, be.Node(BackendNodes.Params)),
            AccessModes.Parse(ReadText(xs, be.Node(BackendNodes.Mode))),
            listed.Has(BackendNodes.Opened) ? xs.TryRead(be.Node(BackendNodes.Opened)) : null,
            xs.TryRead(be.BlkbackErrorNode),
            listed);
    }

    private static void CheckType(string? type)
    {
        if (type != PhyType)
            throw new HotplugFailure($"backend type is {Printable.Quote(type)}, expected \"{PhyType}\" (a disk with script=block-diskseq)");
    }

    private static void CheckFrontendId(string? frontendId, BackendPath be)
    {
        if (frontendId is null || !BackendPath.TryParseDomainId(frontendId, out uint id) || id != be.FrontendId)
            throw new HotplugFailure($"frontend-id is {Printable.Quote(frontendId)}, expected {be.FrontendId} as in {be.Path}");
    }

    /// <summary>A value that must exist, be non-empty, valid UTF-8 and free of NULs.</summary>
    private static string ReadText(Xenstore xs, string path)
    {
        byte[] raw = xs.TryReadBytes(path) ?? throw new HotplugFailure($"{path} is missing");
        if (raw.Length == 0)
            throw new HotplugFailure($"{path} is empty");
        if (System.Array.IndexOf(raw, (byte)0) >= 0)
            throw new HotplugFailure($"{path} contains a NUL byte");
        try
        {
            return StrictUtf8.GetString(raw);
        }
        catch (DecoderFallbackException)
        {
            throw new HotplugFailure($"{path} is not valid UTF-8");
        }
    }
}
