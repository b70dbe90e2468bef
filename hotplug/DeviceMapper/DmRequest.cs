using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;
using BlockDiskseq.Native;
using BlockDiskseq.Reporting;

namespace BlockDiskseq.DeviceMapper;

/// <summary>
/// Builds ioctl buffers for /dev/mapper/control: struct dm_ioctl, then any payload. Every buffer is
/// zero-filled first and written so that it passes the strict checks of the series (docs/protocol-facts.md §7,
/// validate_params/populate_table of "dm ioctl: Allow userspace to opt-in to strict parameter checks"),
/// which a legacy kernel accepts as well:
///   - no flag outside the ioctl's supported set; padding, open_count, target_count zero unless used;
///   - name and uuid NUL-terminated with only NULs after; the 3 padding bytes before diskseq_high zero;
///   - event_nr zero except on the ioctls that take one (legacy only: the udev cookie);
///   - ioctls without parameters: data_size exactly 312 and data_start 0;
///   - tables: each spec 8-byte aligned, next = round_up(40 + strlen(params) + 1, 8), zero padding,
///     status 0, nothing after the last spec, so data_size is a multiple of 8.
/// </summary>
internal static class DmRequest
{
    internal const int HeaderSize = 312;      // sizeof(struct dm_ioctl)
    internal const int TargetSpecSize = 40;   // sizeof(struct dm_target_spec)

    internal static byte[] Version(DmAbi abi) => Build(abi, default, 0, 0, 0, 0, 0);

    /// <summary>
    /// Strict: DM_DISABLE_UEVENTS_FLAG, so dm emits none of its own uevents (dm_kobject_uevent: the resume
    /// "change" lvm2's rules act on, and the remove). Legacy: no cookie, because DEV_CREATE emits no uevent.
    /// Either way the disk's "add" comes from add_disk at the first table load (5.15+) without a cookie,
    /// and 10-dm.rules disables itself for an add without DM_UDEV_PRIMARY_SOURCE_FLAG.
    /// </summary>
    internal static byte[] Create(DmAbi abi, string name, string uuid)
    {
        byte[] buffer = Build(abi, DmLookup.ByName(name), abi == DmAbi.Strict ? LibC.DM_DISABLE_UEVENTS_FLAG : 0, 0, 0, 0, 0);
        WriteString(buffer, (int)Marshal.OffsetOf<LibC.dm_ioctl>(nameof(LibC.dm_ioctl.uuid)), LibC.DM_UUID_LEN, DmIdentifiers.CheckUuid(uuid));
        return buffer;
    }

    internal static byte[] TableLoad(DmAbi abi, DmLookup device, IReadOnlyList<DmTarget> targets, bool readOnly, ulong expectedDiskseq)
    {
        if (targets.Count == 0)
            throw new ArgumentException("a dm table needs at least one target", nameof(targets));
        int payload = 0;
        foreach (DmTarget target in targets)
            payload += SpecSize(target);
        byte[] buffer = Build(abi, device, readOnly ? LibC.DM_READONLY_FLAG : 0, 0, expectedDiskseq, payload, (uint)targets.Count);
        int offset = HeaderSize;
        foreach (DmTarget target in targets)
            offset += WriteSpec(buffer.AsSpan(offset), target);
        return buffer;
    }

    /// <summary>DEV_SUSPEND without DM_SUSPEND_FLAG = resume: the loaded table goes live.</summary>
    internal static byte[] Resume(DmAbi abi, DmLookup device, ulong expectedDiskseq)
        => Build(abi, device, 0, LegacyCookie(abi), expectedDiskseq, 0, 0);

    internal static byte[] Status(DmAbi abi, DmLookup device, ulong expectedDiskseq)
        => Build(abi, device, 0, 0, expectedDiskseq, 0, 0);

    internal static byte[] Remove(DmAbi abi, DmLookup device, bool deferred, ulong expectedDiskseq)
        => Build(abi, device, deferred ? LibC.DM_DEFERRED_REMOVE : 0, LegacyCookie(abi), expectedDiskseq, 0, 0);

    /// <summary>LIST_DEVICES with room for the reply's dm_name_list chain; asks for uuids (4.45+, ignored before).</summary>
    internal static byte[] ListDevices(DmAbi abi, int bufferSize)
    {
        if (bufferSize < HeaderSize + 8 || bufferSize % 8 != 0)
            throw new ArgumentOutOfRangeException(nameof(bufferSize));
        return Build(abi, default, LibC.DM_UUID_FLAG, 0, 0, bufferSize - HeaderSize, 0);
    }

    /// <summary>Bytes one target takes: the spec, its parameters, a NUL, zero padding to 8.</summary>
    internal static int SpecSize(DmTarget target) => Align8(TargetSpecSize + target.ParameterBytes.Length + 1);

    internal static int Align8(int size) => (size + 7) & ~7;

    // DEV_SUSPEND and DEV_REMOVE emit the uevents; the kernel copies event_nr into DM_COOKIE. In strict
    // mode the device has no uevents at all, and strict DEV_SUSPEND refuses a non-zero event_nr.
    private static uint LegacyCookie(DmAbi abi) => abi == DmAbi.Legacy ? DmUdevCookie.KeepRulesAway : 0;

    private static unsafe byte[] Build(DmAbi abi, DmLookup device, uint flags, uint eventNr, ulong expectedDiskseq, int payload, uint targetCount)
    {
        byte[] buffer = new byte[HeaderSize + payload];
        LibC.dm_ioctl header = default;
        header.version[0] = abi == DmAbi.Strict ? LibC.DM_VERSION_MAJOR_STRICT : LibC.DM_VERSION_MAJOR;
        // Legacy asks for 4.0.0, which every v4 kernel accepts; strict names the minor it was written for,
        // as the series requires ("must not pass a minor version greater than the version it was designed for").
        header.version[1] = abi == DmAbi.Strict ? LibC.DM_VERSION_MINOR_STRICT : 0;
        header.data_size = (uint)buffer.Length;
        header.data_start = payload > 0 ? (uint)HeaderSize : 0;
        header.target_count = targetCount;
        header.flags = flags;
        header.event_nr = eventNr;
        if (abi == DmAbi.Strict)
        {
            header.diskseq_low = (uint)expectedDiskseq;
            header.diskseq_high = (uint)(expectedDiskseq >> 32);
        }
        if (device.Device is { } number)
            header.dev = HugeDev.Encode(number);
        MemoryMarshal.Write(buffer, in header);
        if (device.Name is { } name)
            WriteString(buffer, (int)Marshal.OffsetOf<LibC.dm_ioctl>(nameof(LibC.dm_ioctl.name)), LibC.DM_NAME_LEN, name);
        if (device.Uuid is { } uuid)
            WriteString(buffer, (int)Marshal.OffsetOf<LibC.dm_ioctl>(nameof(LibC.dm_ioctl.uuid)), LibC.DM_UUID_LEN, uuid);
        return buffer;
    }

    private static unsafe int WriteSpec(Span<byte> destination, DmTarget target)
    {
        int size = SpecSize(target);
        LibC.dm_target_spec spec = default;
        spec.sector_start = target.SectorStart;
        spec.length = target.Length;
        spec.next = (uint)size;
        byte[] type = target.TargetTypeBytes;
        type.CopyTo(new Span<byte>(spec.target_type, LibC.DM_MAX_TYPE_NAME));
        MemoryMarshal.Write(destination, in spec);
        target.ParameterBytes.CopyTo(destination[TargetSpecSize..]);
        return size;   // the NUL and the padding are the buffer's zeros
    }

    private static void WriteString(byte[] buffer, int offset, int fieldLength, string text)
    {
        int written = Encoding.ASCII.GetBytes(text, buffer.AsSpan(offset, fieldLength - 1));
        if (written != text.Length)
            throw new ArgumentException($"{Printable.Quote(text)} does not fit a {fieldLength}-byte dm field");
    }
}
