using System.Text;
using BlockDiskseq.Devices;
using BlockDiskseq.Reporting;
using XenstoreInterop;

namespace BlockDiskseq.Backend;

/// <summary>
/// What add needs from the backend directory, read before anything is opened or created. Values are
/// checked strictly here; what they name (the target, the devices) is checked once opened.
/// </summary>
internal sealed record AddRequest(string Parameters, AccessMode Mode, string? Opened, string? BlkbackError)
{
    /// <summary>libxl writes "phy" for every disk with script= (docs/protocol-facts.md §2).</summary>
    internal const string PhyType = "phy";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    internal static AddRequest Read(Xenstore xs, BackendPath be)
    {
        string? state = xs.TryRead(be.Node(BackendNodes.State));
        if (XenbusStates.Parse(state) != XenbusState.InitWait)
            throw ExportNodes.NotInitWait(state);
        CheckType(xs.TryRead(be.Node(BackendNodes.Type)));
        CheckFrontendId(xs.TryRead(be.Node(BackendNodes.FrontendId)), be);
        return new AddRequest(
            ReadText(xs, be.Node(BackendNodes.Params)),
            AccessModes.Parse(ReadText(xs, be.Node(BackendNodes.Mode))),
            xs.TryRead(be.Node(BackendNodes.Opened)),
            xs.TryRead(be.BlkbackErrorNode));
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
