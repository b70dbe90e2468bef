using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using BlockDiskseq.Backend;
using BlockDiskseq.Cli;
using BlockDiskseq.Devices;
using BlockDiskseq.Reporting;
using XenstoreInterop;

namespace BlockDiskseq;

/// <summary>
/// status [PATH]: for a person debugging a disk. Shows a backend's nodes, the devices block-diskseq created
/// for it, whether each still exists with the recorded diskseq, and whether blkback holds the exported
/// device. Reads Xenstore and sysfs only: opening a delete-on-close loop device and closing it again could
/// tear it down.
/// </summary>
internal static class Status
{
    private static readonly string[] ShownNodes =
    [
        BackendNodes.Params, BackendNodes.Mode, BackendNodes.Type, BackendNodes.FrontendId, BackendNodes.PhysicalDevice,
        BackendNodes.PhysicalDevicePath, BackendNodes.Diskseq, BackendNodes.LoopNode, BackendNodes.Opened,
        BackendNodes.HotplugStatus, BackendNodes.HotplugError,
    ];

    internal static int Run(Invocation invocation)
    {
        try
        {
            using Xenstore xs = Xenstore.Open();
            IReadOnlyList<BackendPath> backends = invocation.Backend is BackendPath one ? [one] : AllBackends(xs);
            if (backends.Count == 0)
                Log.Out("no vbd backends in this domain (backend/vbd is empty)\n");
            foreach (BackendPath be in backends)
                Log.Out(Describe(xs, be, invocation.Settings));
            return ExitCodes.Success;
        }
        catch (Exception e) when (e is HotplugFailure or IOException)
        {
            Log.Error(ErrorText.Of(e));
            return ExitCodes.Failure;
        }
    }

    private static List<BackendPath> AllBackends(Xenstore xs)
    {
        var backends = new List<BackendPath>();
        string vbd = BackendNodes.Path(BackendNodes.BackendDirectory, BackendNodes.VbdType);
        foreach (string domain in xs.TryList(vbd) ?? [])
        {
            foreach (string device in xs.TryList(BackendNodes.Path(vbd, domain)) ?? [])
            {
                if (BackendPath.TryParse(BackendNodes.Path(vbd, domain, device), out BackendPath? be))
                    backends.Add(be);
            }
        }
        return backends;
    }

    private static string Describe(Xenstore xs, BackendPath be, Settings settings)
    {
        var text = new StringBuilder();
        string? state = xs.TryRead(be.Node(BackendNodes.State));
        if (state is null && !xs.Exists(be.Path))
            return $"{be.Path}: no such backend\n";
        text.Append(be.Path).Append('\n');
        Line(text, BackendNodes.State, state is null ? null : $"{state} ({XenbusStates.Name(state)})");
        foreach (string key in ShownNodes)
            Line(text, key, xs.TryRead(be.Node(key)));
        string? recordText = xs.TryRead(ExportNodes.RecordNode(be));
        Line(text, "created", recordText);
        if (xs.TryRead(ExportNodes.OwnNode(be, BackendNodes.DmAbi)) is string abi)
            Line(text, "dm ABI", abi);
        Line(text, "waited via", xs.TryRead(ExportNodes.OwnNode(be, BackendNodes.WaitMethod)));
        if (DiskseqRecord.TryParse(recordText, out DiskseqRecord record))
        {
            foreach (CreatedLayer layer in record.Layers)
                text.Append("    ").Append(layer).Append(": ").Append(Printable.Line(LayerState(layer))).Append('\n');
        }
        else if (recordText is not null)
        {
            text.Append("    (malformed record: remove will not touch any device)\n");
        }
        Line(text, "blkback", BlkbackHolds(xs, be, state, settings));
        return text.ToString();
    }

    /// <summary>Alive or gone, and the current diskseq against the recorded one (sysfs prints it in decimal).</summary>
    private static string LayerState(CreatedLayer layer)
    {
        string device = Sysfs.DevBlock(layer.Device);
        string? diskseqText = KernelFile.TryReadText($"{device}/diskseq")?.TrimEnd('\n');
        if (diskseqText is null)
            return "gone";
        if (!ulong.TryParse(diskseqText, out ulong current))
            return $"exists, unreadable diskseq {Printable.Quote(diskseqText)}";
        // A loop device stays after it is detached, without a backing file; a dm device goes entirely.
        string? identity = KernelFile.TryReadText(layer.Kind == LayerKind.Loop ? $"{device}/loop/backing_file" : $"{device}/dm/name")?.TrimEnd('\n');
        string what = identity is null ? "not attached to any file"
            : layer.Kind == LayerKind.Loop ? $"backed by {identity}" : $"named {identity}";
        if (current == layer.Diskseq)
            return $"alive, diskseq {DiskSequence.Format(current)} as recorded, {what}";
        return identity is null
            ? $"detached: diskseq is now {DiskSequence.Format(current)}"
            : $"reused by someone else: diskseq is now {DiskSequence.Format(current)}, {what}";
    }

    private static string BlkbackHolds(Xenstore xs, BackendPath be, string? state, Settings settings)
    {
        // Neither signal is withdrawn at teardown (opened stays 1); the state says blkback let go.
        if (XenbusStates.IsTearingDown(state))
            return $"has closed the device or is closing it (state {state})";
        string? opened = xs.TryRead(be.Node(BackendNodes.Opened));
        if (opened is not null)
            return opened == "1" ? "holds the device (opened = 1)" : $"does not hold a device (opened = {opened})";
        string attribute = settings.BlkbackPhysicalDeviceAttribute(be);
        string? device = KernelFile.TryReadText(attribute);
        return device is null
            ? $"does not hold a device (no {attribute})"
            : $"holds {device.TrimEnd('\n')} ({attribute})";
    }

    private static void Line(StringBuilder text, string key, string? value)
        => text.Append("  ").Append(key.PadRight(22)).Append(value is null ? "-" : Printable.Line(value)).Append('\n');
}
