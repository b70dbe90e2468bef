using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;
using BlockDiskseq.Devices;
using BlockDiskseq.Native;
using BlockDiskseq.Reporting;

namespace BlockDiskseq.DeviceMapper;

/// <summary>
/// The kernel's report on one dm device (__dev_status): what DEV_CREATE, DEV_STATUS, TABLE_LOAD and resume
/// return. Diskseq is 0 under the legacy ABI, which does not report it (read it with BLKGETDISKSEQ).
/// </summary>
internal readonly record struct DmDeviceStatus(
    string Name, string Uuid, DeviceNumber Device, ulong Diskseq, int OpenCount, uint Flags, uint EventNr, uint TargetCount)
{
    internal bool ReadOnly => (Flags & LibC.DM_READONLY_FLAG) != 0;
    internal bool Suspended => (Flags & LibC.DM_SUSPEND_FLAG) != 0;
    internal bool ActiveTablePresent => (Flags & LibC.DM_ACTIVE_PRESENT_FLAG) != 0;
    internal bool DeferredRemove => (Flags & LibC.DM_DEFERRED_REMOVE) != 0;
}

/// <summary>One entry of LIST_DEVICES. Uuid is null when the kernel did not report one (none set, or before 4.45).</summary>
internal readonly record struct DmListedDevice(string Name, DeviceNumber Device, uint EventNr, string? Uuid);

/// <summary>The kernel version triple DM_VERSION reports, e.g. 4.48.0.</summary>
internal readonly record struct DmVersion(uint Major, uint Minor, uint Patch)
{
    public override string ToString() => $"{Major}.{Minor}.{Patch}";
}

/// <summary>
/// Parses what the kernel copied back into an ioctl buffer. The kernel copies data_size bytes: 305
/// (offsetof(data)) under the legacy ABI, 312 under the strict one, more for LIST_DEVICES. Anything
/// inconsistent is a failure with the ioctl's name, never a guess.
/// </summary>
internal static class DmReply
{
    private const int LegacyMinimumSize = 305;   // offsetof(struct dm_ioctl, data)

    internal static unsafe DmVersion ParseVersion(ReadOnlySpan<byte> reply)
    {
        LibC.dm_ioctl header = MemoryMarshal.Read<LibC.dm_ioctl>(reply);
        return new DmVersion(header.version[0], header.version[1], header.version[2]);
    }

    internal static unsafe DmDeviceStatus ParseStatus(ReadOnlySpan<byte> reply, DmAbi abi, string call)
    {
        LibC.dm_ioctl header = ReadHeader(reply, abi, call);
        ulong diskseq = abi == DmAbi.Strict ? ((ulong)header.diskseq_high << 32) | header.diskseq_low : 0;
        return new DmDeviceStatus(
            CString(new ReadOnlySpan<byte>(header.name, LibC.DM_NAME_LEN), call, "name"),
            CString(new ReadOnlySpan<byte>(header.uuid, LibC.DM_UUID_LEN), call, "uuid"),
            DecodeDev(header.dev, call),
            diskseq, header.open_count, header.flags, header.event_nr, header.target_count);
    }

    /// <summary>True if LIST_DEVICES wanted a larger buffer (and returned no list).</summary>
    internal static bool BufferFull(ReadOnlySpan<byte> reply)
        => (MemoryMarshal.Read<LibC.dm_ioctl>(reply).flags & LibC.DM_BUFFER_FULL_FLAG) != 0;

    /// <summary>
    /// The dm_name_list chain of LIST_DEVICES (list_devices in dm-ioctl.c): records from data_start, each
    /// {u64 dev; u32 next; char name[]}, then at the next 8-byte boundary {u32 event_nr; u32 flags} (4.37+)
    /// and the uuid if flags has DM_NAME_LIST_FLAG_HAS_UUID; next is the offset to the following record, 0
    /// on the last. No devices: data_size == data_start. Offsets are aligned relative to the buffer start,
    /// as the kernel aligns pointers into its own 8-aligned copy with data_start = 312.
    /// </summary>
    internal static List<DmListedDevice> ParseNameList(ReadOnlySpan<byte> reply, DmAbi abi, string call)
    {
        LibC.dm_ioctl header = ReadHeader(reply, abi, call);
        var devices = new List<DmListedDevice>();
        int end = (int)header.data_size;
        int offset = (int)header.data_start;
        if (offset < DmRequest.HeaderSize || offset > end)
            throw Malformed(call, $"data_start {offset} outside 312..{end}");
        while (offset < end)
        {
            if (end - offset < 16)
                throw Malformed(call, $"name list record at {offset} is truncated (data ends at {end})");
            ulong dev = BinaryPrimitives.ReadUInt64LittleEndian(reply[offset..]);
            uint next = BinaryPrimitives.ReadUInt32LittleEndian(reply[(offset + 8)..]);
            if (dev == 0)
                break;   // "flags no data": an empty list written by an old kernel
            if (next % 8 != 0 || (next != 0 && next < 16) || (long)offset + next > end)
                throw Malformed(call, $"name list record at {offset} has next {next} (data ends at {end})");
            int recordEnd = next == 0 ? end : offset + (int)next;
            devices.Add(ParseNameRecord(reply[..recordEnd], offset, dev, call));
            if (next == 0)
                break;
            offset = recordEnd;
        }
        return devices;
    }

    private static DmListedDevice ParseNameRecord(ReadOnlySpan<byte> reply, int offset, ulong dev, string call)
    {
        int nameStart = offset + LibC.offsetof_dm_name_list_name;
        int nul = reply[nameStart..].IndexOf((byte)0);
        if (nul <= 0)
            throw Malformed(call, $"name list record at {offset} has no NUL-terminated name");
        string name = Encoding.ASCII.GetString(reply.Slice(nameStart, nul));
        int words = DmRequest.Align8(nameStart + nul + 1);
        if (words + 8 > reply.Length)
            return new DmListedDevice(name, DecodeDev(dev, call), 0, null);   // before 4.37: no event_nr/flags
        uint eventNr = BinaryPrimitives.ReadUInt32LittleEndian(reply[words..]);
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(reply[(words + 4)..]);
        string? uuid = null;
        if ((flags & LibC.DM_NAME_LIST_FLAG_HAS_UUID) != 0)
        {
            ReadOnlySpan<byte> rest = reply[(words + 8)..];
            int uuidNul = rest.IndexOf((byte)0);
            if (uuidNul < 0)
                throw Malformed(call, $"name list record at {offset} ({name}) has no NUL-terminated uuid");
            uuid = Encoding.ASCII.GetString(rest[..uuidNul]);
        }
        return new DmListedDevice(name, DecodeDev(dev, call), eventNr, uuid);
    }

    private static unsafe LibC.dm_ioctl ReadHeader(ReadOnlySpan<byte> reply, DmAbi abi, string call)
    {
        if (reply.Length < DmRequest.HeaderSize)
            throw Malformed(call, $"buffer of {reply.Length} bytes");
        LibC.dm_ioctl header = MemoryMarshal.Read<LibC.dm_ioctl>(reply);
        uint expectedMajor = abi == DmAbi.Strict ? LibC.DM_VERSION_MAJOR_STRICT : LibC.DM_VERSION_MAJOR;
        if (header.version[0] != expectedMajor)
            throw Malformed(call, $"interface version {header.version[0]}, expected {expectedMajor}");
        int minimum = abi == DmAbi.Strict ? DmRequest.HeaderSize : LegacyMinimumSize;
        if (header.data_size < minimum || header.data_size > reply.Length)
            throw Malformed(call, $"data_size {header.data_size} outside {minimum}..{reply.Length}");
        return header;
    }

    private static DeviceNumber DecodeDev(ulong dev, string call)
        => dev <= uint.MaxValue ? HugeDev.Decode(dev) : throw Malformed(call, $"dev 0x{dev:x} is not a huge_encode_dev value");

    private static string CString(ReadOnlySpan<byte> field, string call, string what)
    {
        int nul = field.IndexOf((byte)0);
        if (nul < 0)
            throw Malformed(call, $"{what} not NUL-terminated");
        return Encoding.ASCII.GetString(field[..nul]);
    }

    private static HotplugFailure Malformed(string call, string detail)
        => new($"{call}: malformed reply from the kernel: {detail}");
}
