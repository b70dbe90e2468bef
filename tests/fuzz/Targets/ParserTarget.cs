using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using BlockDiskseq.Backend;
using BlockDiskseq.Cli;
using BlockDiskseq.DeviceMapper;
using BlockDiskseq.Devices;
using BlockDiskseq.Reporting;
using BlockDiskseq.Sharing;

namespace BlockDiskseq.Fuzz;

/// <summary>
/// One fuzz input through one of the program's parsers: the first byte picks the parser, the rest is its
/// input (UTF-8 text, or raw bytes for the binary device-mapper replies). Each parser must either refuse
/// the input the way it documents (false, or its own exception type: HotplugFailure, UsageException) or
/// accept it; an accepted value must survive its round trip (format, parse again, same value). Anything
/// else throws ParserBroken (or is an unexpected exception), which afl records as a crash and the corpus
/// replay test (tests/Hotplug.Tests/Fuzz) fails on. Shared by tests/fuzz/Fuzz and Hotplug.Tests.
/// </summary>
internal static class ParserTarget
{
    /// <summary>The parsers by selector byte (input[0] % Count); the names label the seed corpus.</summary>
    internal static readonly (string Name, Action<byte[]> Check)[] Parsers =
    [
        ("disk-target", b => DiskTargetParse(Text(b))),
        ("dm-spec", b => DmSpecParse(Text(b))),
        ("record", b => RecordParse(Text(b))),
        ("device-number", b => DeviceNumberParse(Text(b))),
        ("diskseq", b => DiskseqParse(Text(b))),
        ("backend-path", b => BackendPathParse(Text(b))),
        ("partitions", b => PartitionsParse(Text(b))),
        ("mountinfo", b => MountInfoParse(b)),
        ("mode", b => ModeParse(Text(b))),
        ("dm-name", b => DmNameParse(Text(b))),
        ("invocation", b => InvocationParse(Text(b))),
        ("timeout", b => TimeoutParse(Text(b))),
        ("dm-status-reply", b => DmReplyParse(b, list: false)),
        ("dm-list-reply", b => DmReplyParse(b, list: true)),
        ("record-ownership", b => OwnershipParse(Text(b))),
        ("sysfs-value", b => SysfsValueParse(Text(b))),
    ];

    internal static void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length == 0)
            return;
        Parsers[input[0] % Parsers.Length].Check(input[1..].ToArray());
    }

    /// <summary>Lenient decoding: invalid UTF-8 becomes U+FFFD, as a .NET string read from Xenstore never is invalid.</summary>
    private static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    private static void DiskTargetParse(string text)
    {
        DiskTarget target;
        try
        {
            target = DiskTarget.Parse(text);
        }
        catch (HotplugFailure)
        {
            return;
        }
        Require(target.Path.StartsWith('/'), "a parsed target is absolute");
        Require(DiskTarget.Parse(target.Path) == target, "an accepted path parses to itself");
    }

    private static void DmSpecParse(string text)
    {
        DmDiskSpec spec;
        try
        {
            spec = DmDiskSpec.Parse(text);
        }
        catch (HotplugFailure)
        {
            return;
        }
        Require(DmDiskSpec.IsDmForm(text), "only a dm form parses as one");
        Require(DmDiskSpec.Parse(FormatSpec(spec)) == spec, $"'{FormatSpec(spec)}' parses back to {spec}");
    }

    /// <summary>The canonical params text of a spec (keys in one order, paths as DiskTarget resolved them).</summary>
    internal static string FormatSpec(DmDiskSpec spec) => spec switch
    {
        SnapshotSpec s => $"snapshot:origin={s.Origin.Path},cow={s.Cow.Path},chunk={s.ChunkSectors}",
        ThrowawaySnapshotSpec t => t.CowSizeBytes is ulong size
            ? $"snapshot:origin={t.Origin.Path},cow-size={size}" : $"snapshot:origin={t.Origin.Path}",
        SliceSpec s => $"slice:path={s.Path.Path},offset={s.OffsetSectors},sectors={s.Sectors}",
        _ => throw new ParserBroken($"unknown spec {spec}"),
    };

    private static void RecordParse(string text)
    {
        if (!DiskseqRecord.TryParse(text, out DiskseqRecord record))
            return;
        // The parser is strict: only the exact text we write is accepted, so formatting gives it back.
        Require(record.ToString() == text, $"record '{text}' formats as '{record}'");
        Require(DiskseqRecord.TryParse(record.ToString(), out DiskseqRecord again)
                && again.Layers.SequenceEqual(record.Layers), "a record parses back to the same layers");
    }

    private static void DeviceNumberParse(string text)
    {
        if (!DeviceNumber.TryParse(text, out DeviceNumber device))
            return;
        Require(device.Major <= DeviceNumber.MaxMajor && device.Minor <= DeviceNumber.MaxMinor, $"{text} is in the kernel's range");
        Require(device.ToString() == text, $"device number '{text}' formats as '{device}'");
        Require(DeviceNumber.FromDevT(device.ToDevT()) == device, $"{device} survives dev_t");
    }

    private static void DiskseqParse(string text)
    {
        if (!DiskSequence.TryParse(text, out ulong diskseq))
            return;
        Require(diskseq != 0, "0 is never a diskseq");
        Require(DiskSequence.Format(diskseq) == text.ToLowerInvariant(), $"diskseq '{text}' formats as '{DiskSequence.Format(diskseq)}'");
    }

    private static void BackendPathParse(string text)
    {
        if (!BackendPath.TryParse(text, out BackendPath? backend))
            return;
        Require(backend.Path == text, "the path is kept as given");
        string rebuilt = (backend.BackendDomainId is uint id ? $"/local/domain/{id}/" : "")
            + $"backend/vbd/{backend.FrontendId}/{backend.DeviceId}";
        Require(rebuilt == text, $"'{text}' rebuilds as '{rebuilt}'");
        Require(BackendPath.TryParse(backend.Sibling(backend.FrontendId, backend.DeviceId).Path, out BackendPath? sibling)
                && sibling == backend, "its own sibling is itself");
    }

    private static void PartitionsParse(string text)
    {
        foreach (string name in LocalUsage.LoopNamesIn(text))
        {
            Require(LoopDevice.IsLoopName(name), $"'{name}' is a loop name");
            Require(text.Contains(name, StringComparison.Ordinal), $"'{name}' comes from the text");
        }
    }

    /// <summary>First 3 bytes: the device (major, minor) and writable-only; the rest is the mountinfo text.</summary>
    private static void MountInfoParse(byte[] bytes)
    {
        if (bytes.Length < 3)
            return;
        var device = new DeviceNumber(bytes[0], bytes[1]);
        string text = Text(bytes[3..]);
        string? mountPoint = LocalUsage.MountPointIn(text, device, writableOnly: (bytes[2] & 1) != 0);
        if (mountPoint is not null && (bytes[2] & 1) != 0)
            Require(LocalUsage.MountPointIn(text, device, writableOnly: false) is not null, "a writable mount is a mount");
    }

    private static void ModeParse(string text)
    {
        try
        {
            AccessMode mode = AccessModes.Parse(text);
            Require(text is "r" or "ro" or "w" or "rw" or "w!" or "rw!", $"mode '{text}' is one of the six spellings");
            Require(mode.IsWritable() == text.Contains('w'), $"mode '{text}' is writable iff it has a w");
        }
        catch (HotplugFailure)
        {
        }
    }

    private static void DmNameParse(string text)
    {
        if (!DmName.TryParse(text, out DmName name))
            return;
        Require(name.ToString() == text, $"dm name '{text}' formats as '{name}'");
        Require(name.OwnsUuid(name.NewUuid()), "a fresh uuid is owned by its name");
    }

    /// <summary>NUL-separated: argv, then after an empty item NAME=VALUE environment lines.</summary>
    private static void InvocationParse(string text)
    {
        string[] items = text.Split('\0');
        int split = Array.IndexOf(items, "");
        string[] args = split < 0 ? items : items[..split];
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string item in split < 0 ? [] : items[(split + 1)..])
        {
            int equals = item.IndexOf('=');
            if (equals > 0)
                env[item[..equals]] = item[(equals + 1)..];
        }
        try
        {
            Invocation invocation = Invocation.Parse(args, name => env.TryGetValue(name, out string? value) ? value : null);
            Require(invocation.Verb == Verb.Status || invocation.Backend is not null, "add and remove always have a backend");
            Require(invocation.Settings.Timeout > TimeSpan.Zero, "the timeout is positive");
        }
        catch (Exception e) when (e is UsageException or HotplugFailure)
        {
        }
    }

    private static void TimeoutParse(string text)
    {
        try
        {
            TimeSpan timeout = Settings.ParseTimeout(text, "fuzz");
            Require(timeout > TimeSpan.Zero && timeout <= TimeSpan.FromHours(1), $"timeout {timeout} is in (0, 1 h]");
        }
        catch (UsageException)
        {
        }
    }

    /// <summary>First byte: the ABI; the rest is the ioctl buffer as the kernel returned it.</summary>
    private static void DmReplyParse(byte[] bytes, bool list)
    {
        if (bytes.Length < 1)
            return;
        DmAbi abi = (bytes[0] & 1) == 0 ? DmAbi.Strict : DmAbi.Legacy;
        byte[] reply = bytes[1..];
        try
        {
            if (list)
            {
                foreach (DmListedDevice device in DmReply.ParseNameList(reply, abi, "fuzz"))
                    Require(device.Name.Length > 0 || device.Name == "", "names are strings");
            }
            else
            {
                DmReply.ParseStatus(reply, abi, "fuzz");
            }
        }
        catch (HotplugFailure)
        {
        }
    }

    /// <summary>"PHYSICAL-DEVICE\nRECORD": whether add takes an existing export for its own.</summary>
    private static void OwnershipParse(string text)
    {
        int newline = text.IndexOf('\n');
        string physicalDevice = newline < 0 ? text : text[..newline];
        string? record = newline < 0 ? null : text[(newline + 1)..];
        if (ExportNodes.IsOurs(physicalDevice, record))
        {
            Require(DiskseqRecord.TryParse(record, out DiskseqRecord parsed), "ours means a record");
            Require(parsed.Top is null || parsed.Top.Value.Device.ToString() == physicalDevice, "ours means the record's top device");
        }
    }

    /// <summary>A sysfs attribute as the wait and the loop lookup read it: a device number and a uevent DEVNAME.</summary>
    private static void SysfsValueParse(string text)
    {
        string attribute = text.TrimEnd('\n');
        if (DeviceNumber.TryParse(attribute, out DeviceNumber device))
            Require(device.ToString() == attribute, "a physical_device attribute formats back");
        foreach (string line in text.Split('\n'))
        {
            if (line.StartsWith("DEVNAME=", StringComparison.Ordinal) && LoopDevice.IsLoopName(line.AsSpan("DEVNAME=".Length)))
                Require(line.Length > "DEVNAME=loop".Length, "a loop name has a number");
        }
    }

    private static void Require(bool condition, string what)
    {
        if (!condition)
            throw new ParserBroken(what);
    }
}

/// <summary>A parser accepted something it must not have, or changed a value on its round trip.</summary>
internal sealed class ParserBroken(string message) : Exception(message);
