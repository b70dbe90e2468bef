using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using BlockDiskseq.Devices;

namespace BlockDiskseq.Tests.DeviceMapper;

/// <summary>
/// A model of drivers/md/dm-ioctl.c's ctl_ioctl for the ioctls this program uses, with the checks of the
/// "Diskseq support in device-mapper" series (dm-devel 2023-06-24, v2 1-4/4) when a request says major 5:
/// check_version, copy_params' minimum size, validate_params (supported flags per ioctl, NUL-terminated
/// names, zero padding/open_count/event_nr, no-parameter ioctls exactly 312 bytes), populate_table's
/// strict spec layout, diskseq checks on lookup, and the EBUSY create reply. Written from the patch text
/// with fixed offsets, independently of the code under test. The kernel works on a copy and copies back
/// data_size bytes, so a legacy reply leaves bytes 305..311 of the caller's buffer as they were.
/// </summary>
internal sealed class FakeDmKernel
{
    internal const uint Major = 253;

    internal sealed class Device
    {
        public required string Name;
        public required string Uuid;
        public required uint Minor;
        public required ulong Diskseq;
        public int OpenCount;
        public bool Suspended = true;
        public bool DeferredRemove;
        public bool UeventsDisabled;
        public List<string>? ActiveTable;
        public List<string>? InactiveTable;
        public bool ActiveReadOnly;
        public bool InactiveReadOnly;
        public uint LastCookie;
        /// <summary>With HoldTableDevices: the devices its tables reference, claimed as dm_get_device does.</summary>
        public List<BlockDiskseq.Native.SafeFd> Held = new();
    }

    /// <summary>
    /// Open every MAJOR:MINOR a loaded table names, O_EXCL like dm's claim, until the device is removed:
    /// lets tests over real loop devices see what the kernel's table holds (and refuse a claimed device).
    /// </summary>
    public bool HoldTableDevices { get; set; }

    /// <summary>False: a mainline kernel, which refuses major 5 in check_version.</summary>
    public bool SupportsStrict { get; set; } = true;
    public uint KernelMinor { get; set; } = 49;
    /// <summary>The series' v2 12/16 replied to an EBUSY create without DM_EXISTS_FLAG; 4/4 sets it.</summary>
    public bool SetsExistsFlag { get; set; } = true;
    public List<Device> Devices { get; } = new();
    public List<(uint Request, byte[] Sent)> Calls { get; } = new();
    /// <summary>Checked before anything else: a non-null errno fails that call.</summary>
    public Func<uint, int?>? FailNext { get; set; }
    public List<string> Rejections { get; } = new();

    private uint nextMinor;
    private ulong nextDiskseq = 0x1_0000_0005;   // above 2^32 so both diskseq halves matter

    public Device Add(string name, string uuid, int openCount = 0)
    {
        var device = new Device { Name = name, Uuid = uuid, Minor = nextMinor++, Diskseq = nextDiskseq++, OpenCount = openCount };
        Devices.Add(device);
        return device;
    }

    public int Ioctl(uint request, byte[] buffer)
    {
        Calls.Add((request, (byte[])buffer.Clone()));
        if (FailNext?.Invoke(request) is { } injected)
            return injected;
        if ((request & 0xFFFFFF00) != 0xC138FD00)
            return Errno.ENOTTY;
        uint cmd = request & 0xFF;
        uint major = U32(buffer, 0);
        uint expectedMajor = major >= 5 ? 5u : 4u;
        if (major != expectedMajor || (major == 5 && !SupportsStrict) || U32(buffer, 4) > KernelMinor)
            return Reject(Errno.EINVAL, "ioctl interface mismatch");
        Put32(buffer, 0, expectedMajor);
        Put32(buffer, 4, KernelMinor);
        Put32(buffer, 8, 0);
        if (cmd == 0)
            return 0;
        bool strict = major == 5;
        uint dataSize = U32(buffer, 12);
        if (dataSize < (strict ? 312u : 305u))
            return Reject(Errno.EINVAL, $"Invalid data size in the ioctl structure: {dataSize}");
        if (dataSize > buffer.Length)
            return Errno.EFAULT;
        byte[] param = new byte[Math.Max(dataSize, 312)];
        Array.Copy(buffer, param, dataSize);
        int inputSize = (int)dataSize;
        int r = Validate(cmd, param, strict);
        if (r != 0)
            return r;
        Put32(param, 12, strict ? 312u : 305u);
        r = Dispatch(cmd, param, inputSize, strict);
        bool copy = r == 0 || (r == Errno.EBUSY && strict && cmd == 3);
        if (copy)
            Array.Copy(param, buffer, U32(param, 12));
        return r;
    }

    private int Reject(int errno, string why)
    {
        Rejections.Add(why);
        return errno;
    }

    private static readonly Dictionary<uint, (uint Supported, bool NoParams, bool TakesEventNr)> Table = new()
    {
        [2] = (1u << 14, false, false),                           // LIST_DEVICES: UUID
        [3] = ((1u << 3) | (1u << 9), true, true),                // DEV_CREATE: PERSISTENT_DEV, DISABLE_UEVENTS
        [4] = (1u << 17, true, true),                             // DEV_REMOVE: DEFERRED_REMOVE
        [6] = ((1u << 12) | (1u << 1) | (1u << 10) | (1u << 11), true, false), // DEV_SUSPEND
        [7] = (1u << 12, true, false),                            // DEV_STATUS: QUERY_INACTIVE
        [9] = ((1u << 12) | 1u, false, false),                    // TABLE_LOAD: QUERY_INACTIVE, READONLY
    };

    private int Validate(uint cmd, byte[] p, bool strict)
    {
        if (!Table.TryGetValue(cmd, out var entry))
            return Errno.ENOTTY;
        if (!strict)
        {
            p[48 + 127] = 0;
            p[176 + 128] = 0;
            Put32(p, 28, U32(p, 28) & ~((1u << 9) | (1u << 7) | ~((1u << 19) - 1)));
            if (cmd == 2)
                return 0;
        }
        if (cmd == 3 ? p[48] == 0 : (p[48] != 0 && p[176] != 0))
            return Reject(Errno.EINVAL, cmd == 3 ? "name not supplied when creating device" : "only supply one of name or uuid");
        if (!strict)
            return 0;
        if (!OnlyNulsAfterNul(p, 48, 128) || !OnlyNulsAfterNul(p, 176, 129))
            return Reject(Errno.EINVAL, "name or uuid not NUL-terminated, or non-NUL after NUL");
        if (U32(p, 304) != 0)
            return Reject(Errno.EINVAL, "second padding field not zeroed in strict mode");
        if ((U32(p, 28) & ~entry.Supported) != 0)
            return Reject(Errno.EINVAL, $"unsupported flags 0x{U32(p, 28) & ~entry.Supported:x}, cmd({cmd})");
        if (U32(p, 24) != 0)
            return Reject(Errno.EINVAL, "open_count not zeroed in strict mode");
        if (U32(p, 32) != 0 && !entry.TakesEventNr)
            return Reject(Errno.EINVAL, "Event number not zeroed for command that does not take one");
        if (entry.NoParams && (U32(p, 12) != 312 || U32(p, 20) != 0 || U32(p, 16) != 0))
            return Reject(Errno.EINVAL, $"command {cmd} must not have parameters");
        return 0;
    }

    private static bool OnlyNulsAfterNul(byte[] p, int offset, int length)
    {
        int nul = Array.IndexOf(p, (byte)0, offset, length);
        return nul >= 0 && p.AsSpan(nul, offset + length - nul).IndexOfAnyExcept((byte)0) < 0;
    }

    private int Dispatch(uint cmd, byte[] p, int inputSize, bool strict)
    {
        if (cmd == 2)
            return ListDevices(p, inputSize);
        if (cmd == 3)
            return Create(p, strict);
        Device? device = Find(p, strict);
        if (device is null)
            return Errno.ENXIO;
        switch (cmd)
        {
            case 4:
                return Remove(device, p, strict);
            case 6:
                if (!strict)
                    device.LastCookie = U32(p, 32);
                if ((U32(p, 28) & (1u << 1)) == 0 && device.InactiveTable is not null)
                {
                    device.ActiveTable = device.InactiveTable;
                    device.ActiveReadOnly = device.InactiveReadOnly;
                    device.InactiveTable = null;
                }
                device.Suspended = (U32(p, 28) & (1u << 1)) != 0;
                break;
            case 9:
                int r = LoadTable(device, p, inputSize, strict);
                if (r != 0)
                    return r;
                break;
        }
        Status(device, p, strict);
        return 0;
    }

    private int Create(byte[] p, bool strict)
    {
        string name = CString(p, 48, 128);
        string uuid = CString(p, 176, 129);
        Device? existing = Devices.Find(d => d.Name == name) ?? (uuid.Length > 0 ? Devices.Find(d => d.Uuid == uuid) : null);
        if (existing is not null)
        {
            if (strict)
            {
                Status(existing, p, strict);
                if (SetsExistsFlag)
                    Put32(p, 28, U32(p, 28) | (1u << 2));
            }
            return Errno.EBUSY;
        }
        Device device = Add(name, uuid);
        device.UeventsDisabled = strict && (U32(p, 28) & (1u << 9)) != 0;
        Status(device, p, strict);
        return 0;
    }

    private int Remove(Device device, byte[] p, bool strict)
    {
        if (!strict)
            device.LastCookie = U32(p, 32);
        if (device.OpenCount > 0)
        {
            if ((U32(p, 28) & (1u << 17)) == 0)
                return Errno.EBUSY;
            device.DeferredRemove = true;
            return 0;
        }
        Drop(device);
        return 0;
    }

    /// <summary>Closing the last opener of a deferred-remove device removes it (dm_blk_close).</summary>
    public void Close(Device device)
    {
        if (--device.OpenCount == 0 && device.DeferredRemove)
            Drop(device);
    }

    private void Drop(Device device)
    {
        Devices.Remove(device);
        foreach (BlockDiskseq.Native.SafeFd fd in device.Held)
            fd.Dispose();
        device.Held.Clear();
    }

    private int Claim(Device device, List<string> lines)
    {
        foreach (string line in lines)
        {
            foreach (string word in line.Split(' ').Skip(3))
            {
                string[] parts = word.Split(':');
                if (parts.Length != 2 || !uint.TryParse(parts[0], out uint major) || !uint.TryParse(parts[1], out uint minor))
                    continue;
                string? uevent = BlockDiskseq.Devices.KernelFile.TryReadText($"/sys/dev/block/{major}:{minor}/uevent");
                string? name = uevent?.Split('\n').FirstOrDefault(l => l.StartsWith("DEVNAME="))?["DEVNAME=".Length..];
                if (name is null)
                    return Reject(Errno.ENXIO, $"Device lookup failed: {word}");
                var fd = BlockDiskseq.Native.LibC.open("/dev/" + name, BlockDiskseq.Native.LibC.O_RDONLY | BlockDiskseq.Native.LibC.O_EXCL | BlockDiskseq.Native.LibC.O_CLOEXEC, 0);
                if (fd.IsInvalid)
                {
                    int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                    fd.SetHandleAsInvalid();
                    return Reject(errno, $"Device lookup failed: {word} errno {errno}");
                }
                device.Held.Add(fd);
            }
        }
        return 0;
    }

    private Device? Find(byte[] p, bool strict)
    {
        string name = CString(p, 48, 128);
        string uuid = CString(p, 176, 129);
        ulong dev = U64(p, 40);
        Device? device = uuid.Length > 0 ? (name.Length > 0 || dev != 0 ? null : Devices.Find(d => d.Uuid == uuid))
                       : name.Length > 0 ? (dev != 0 ? null : Devices.Find(d => d.Name == name))
                       : dev != 0 ? Devices.Find(d => Encode(Major, d.Minor) == dev)
                       : null;
        if (device is null)
            return null;
        if (strict && !DiskseqMatches(device, p))
            return null;
        // "Sneakily write in both the name and the uuid while we have the cell."
        Array.Clear(p, 48, 128 + 129);
        Encoding.ASCII.GetBytes(device.Name).CopyTo(p, 48);
        Encoding.ASCII.GetBytes(device.Uuid).CopyTo(p, 176);
        return device;
    }

    private bool DiskseqMatches(Device device, byte[] p)
    {
        ulong expected = ((ulong)U32(p, 308) << 32) | U32(p, 36);
        if (expected != 0 && expected != device.Diskseq)
        {
            Rejections.Add($"Diskseq mismatch: expected {expected} actual {device.Diskseq}");
            return false;
        }
        return true;
    }

    private void Status(Device device, byte[] p, bool strict)
    {
        uint flags = U32(p, 28) & ~((1u << 1) | 1u | (1u << 5) | (1u << 6) | (1u << 17));
        if (device.Suspended)
            flags |= 1u << 1;
        if (device.ActiveTable is not null)
            flags |= 1u << 5;
        if (device.InactiveTable is not null)
            flags |= 1u << 6;
        if (device.ActiveTable is not null && device.ActiveReadOnly)
            flags |= 1u;
        if (device.DeferredRemove)
            flags |= 1u << 17;
        Put32(p, 24, (uint)device.OpenCount);
        Put32(p, 28, flags);
        Put32(p, 32, 7);   // event number
        Put64(p, 40, Encode(Major, device.Minor));
        Put32(p, 20, (uint)(device.ActiveTable?.Count ?? 0));
        if (strict)
        {
            Put32(p, 36, (uint)device.Diskseq);
            Put32(p, 308, (uint)(device.Diskseq >> 32));
        }
    }

    private int LoadTable(Device device, byte[] p, int size, bool strict)
    {
        uint count = U32(p, 20);
        if (count == 0)
            return Reject(Errno.EINVAL, "no targets specified");
        if (strict && size % 8 != 0)
            return Reject(Errno.EINVAL, $"parameter size {size} not multiple of 8");
        var lines = new List<string>();
        int spec = 0;
        uint next = U32(p, 16);
        for (int i = 0; i < count; i++)
        {
            spec += (int)next;
            if (spec + 40 > size)
                return Reject(Errno.EINVAL, "unable to find target");
            int nul = Array.IndexOf(p, (byte)0, spec + 40, size - spec - 40);
            if (nul < 0)
                return Reject(Errno.EINVAL, "parameter string not NUL-terminated");
            if (strict && (!OnlyNulsAfterNul(p, spec + 24, 16) || U32(p, spec + 16) != 0))
                return Reject(Errno.EINVAL, "target type not NUL-padded, or status not zero");
            lines.Add($"{U64(p, spec)} {U64(p, spec + 8)} {CString(p, spec + 24, 16)} {Encoding.ASCII.GetString(p, spec + 40, nul - spec - 40)}");
            next = U32(p, spec + 20);
            int minSize = nul - spec + 1;
            if (strict && (next != ((minSize + 7) & ~7) || p.AsSpan(nul, (int)next - minSize + 1).IndexOfAnyExcept((byte)0) >= 0))
                return Reject(Errno.EINVAL, $"in strict mode, expected next to be {(minSize + 7) & ~7} but it was {next}, or padding not zeroed");
        }
        if (strict && next != size - spec)
            return Reject(Errno.EINVAL, $"last target size is {next}, but {size - spec} bytes remaining in target spec");
        if (HoldTableDevices && Claim(device, lines) is int claimed and not 0)
            return claimed;
        device.InactiveTable = lines;
        device.InactiveReadOnly = (U32(p, 28) & 1u) != 0;
        return 0;
    }

    /// <summary>Kernel-side encoding of the dm_name_list chain (list_devices), with uuids when asked.</summary>
    private int ListDevices(byte[] p, int size)
    {
        bool uuids = (U32(p, 28) & (1u << 14)) != 0;
        int needed = 0;
        foreach (Device d in Devices)
            needed += Align(12 + d.Name.Length + 1) + 8 + (uuids && d.Uuid.Length > 0 ? Align(d.Uuid.Length + 1) : 0);
        Put32(p, 16, 312);
        if (size - 312 < needed || size - 312 < 8)
        {
            Put32(p, 28, U32(p, 28) | (1u << 8));
            return 0;
        }
        Put32(p, 12, (uint)(312 + needed));
        int at = 312, previous = -1;
        foreach (Device d in Devices.OrderBy(d => d.Name, StringComparer.Ordinal))
        {
            if (previous >= 0)
                Put32(p, previous + 8, (uint)(at - previous));
            Put64(p, at, Encode(Major, d.Minor));
            Put32(p, at + 8, 0);
            Encoding.ASCII.GetBytes(d.Name).CopyTo(p, at + 12);
            p[at + 12 + d.Name.Length] = 0;
            int words = Align(at + 12 + d.Name.Length + 1);
            Put32(p, words, 7);
            uint flags = !uuids ? 0 : d.Uuid.Length > 0 ? 1u : 2u;
            Put32(p, words + 4, flags);
            int after = words + 8;
            if (flags == 1)
            {
                Encoding.ASCII.GetBytes(d.Uuid).CopyTo(p, after);
                p[after + d.Uuid.Length] = 0;
                after = Align(after + d.Uuid.Length + 1);
            }
            previous = at;
            at = after;
        }
        return 0;
    }

    internal static ulong Encode(uint major, uint minor) => (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);

    private static int Align(int n) => (n + 7) & ~7;
    internal static uint U32(byte[] b, int at) => BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(at));
    internal static ulong U64(byte[] b, int at) => BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(at));
    private static void Put32(byte[] b, int at, uint v) => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(at), v);
    private static void Put64(byte[] b, int at, ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(at), v);

    internal static string CString(byte[] b, int at, int length)
    {
        int nul = Array.IndexOf(b, (byte)0, at, length);
        return Encoding.ASCII.GetString(b, at, (nul < 0 ? at + length : nul) - at);
    }

    internal static class Errno
    {
        internal const int ENXIO = 6;
        internal const int EFAULT = 14;
        internal const int EBUSY = 16;
        internal const int EINVAL = 22;
        internal const int ENOTTY = 25;
    }
}
