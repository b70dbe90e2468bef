using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using BlockDiskseq.Native;
using BlockDiskseq.Reporting;

namespace BlockDiskseq.DeviceMapper;

/// <summary>One ioctl on the dm control node: returns 0, or the errno read right after the call.</summary>
internal delegate int DmIoctl(uint request, byte[] buffer);

/// <summary>
/// What DEV_CREATE did: made the device, or found the name (or uuid) taken by Status's device (its own
/// name and uuid; both empty if it disappeared before we could ask).
/// </summary>
internal readonly record struct DmCreateResult(bool Created, DmDeviceStatus Status);

/// <summary>
/// The dm control node (/dev/mapper/control) and the ioctls this program uses. The ABI is probed once at
/// open: strict (major 5, the series) if the kernel takes it, else legacy (major 4). Under the strict ABI
/// every lookup passes the expected diskseq (0 = any) and the kernel refuses a mismatch with ENXIO; under
/// the legacy ABI the expected diskseq is not sent and callers check BLKGETDISKSEQ on a held fd themselves.
/// Absence (ENXIO) is a value (null/false), every other errno a NativeException naming ioctl and device.
/// </summary>
internal sealed class DmControl : IDisposable
{
    internal const string ControlPath = "/dev/mapper/control";

    /// <summary>DM_DEFERRED_REMOVE appeared in 4.27 (Linux 3.13); nothing here works without it.</summary>
    internal const uint MinimumLegacyMinor = 27;

    // LIST_DEVICES answers DM_BUFFER_FULL_FLAG when the list does not fit: retry with double the room.
    // 16 KiB holds about 50 of our devices with uuids; 8 attempts end at 2 MiB. No waiting in between.
    private const int ListBufferInitialSize = 16 * 1024;
    private const int ListBufferAttempts = 8;

    private readonly SafeFd? control;
    private readonly DmIoctl ioctl;

    public DmAbi Abi { get; }
    public DmVersion KernelVersion { get; }

    /// <summary>For tests: any transport, e.g. a model of the kernel's checks.</summary>
    internal DmControl(DmIoctl ioctl) : this(null, ioctl) { }

    private DmControl(SafeFd? control, DmIoctl ioctl)
    {
        this.control = control;
        this.ioctl = ioctl;
        (Abi, KernelVersion) = Probe();
    }

    internal static DmControl Open()
    {
        SafeFd fd = DmControlNode.Open(ControlPath);
        try
        {
            return new DmControl(fd, (request, buffer) => Call(fd, request, buffer));
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    public void Dispose() => control?.Dispose();

    internal DmCreateResult Create(string name, string uuid)
    {
        const string call = "ioctl(DM_DEV_CREATE)";
        byte[] buffer = DmRequest.Create(Abi, name, uuid);
        int errno = ioctl(LibC.DM_DEV_CREATE, buffer);
        if (errno == 0)
            return new DmCreateResult(true, DmReply.ParseStatus(buffer, Abi, call));
        if (errno == LibC.EBUSY && Abi == DmAbi.Strict && CarriesExistingDevice(buffer))
        {
            // The reply is the existing device's status, but under the name and uuid we sent (dm_hash_insert
            // fills only __dev_status), so ask that exact incarnation for its own: one ioctl, diskseq-checked.
            DmDeviceStatus reported = DmReply.ParseStatus(buffer, Abi, call);
            return new DmCreateResult(false, Status(DmLookup.ByDevice(reported.Device), reported.Diskseq)
                ?? reported with { Name = "", Uuid = "" });   // gone since: nothing left to call it by
        }
        // Legacy: EBUSY returns nothing; one more ioctl says what holds the name (none: the uuid was taken).
        if (errno == LibC.EBUSY && Abi == DmAbi.Legacy && Status(DmLookup.ByName(name), 0) is { } existing)
            return new DmCreateResult(false, existing);
        throw new NativeException(call, $"dm device {name}", errno);
    }

    internal DmDeviceStatus LoadTable(DmLookup device, IReadOnlyList<DmTarget> targets, bool readOnly, ulong expectedDiskseq)
        => DmReply.ParseStatus(
            Run(LibC.DM_TABLE_LOAD, "ioctl(DM_TABLE_LOAD)", DmRequest.TableLoad(Abi, device, targets, readOnly, expectedDiskseq), device),
            Abi, "ioctl(DM_TABLE_LOAD)");

    internal DmDeviceStatus Resume(DmLookup device, ulong expectedDiskseq)
        => DmReply.ParseStatus(
            Run(LibC.DM_DEV_SUSPEND, "ioctl(DM_DEV_SUSPEND)", DmRequest.Resume(Abi, device, expectedDiskseq), device),
            Abi, "ioctl(DM_DEV_SUSPEND)");

    /// <summary>Null if no such device (strict: none with that diskseq either).</summary>
    internal DmDeviceStatus? Status(DmLookup device, ulong expectedDiskseq)
    {
        byte[] buffer = DmRequest.Status(Abi, device, expectedDiskseq);
        return RunOrAbsent(LibC.DM_DEV_STATUS, "ioctl(DM_DEV_STATUS)", buffer, device)
            ? DmReply.ParseStatus(buffer, Abi, "ioctl(DM_DEV_STATUS)")
            : null;
    }

    /// <summary>
    /// False if no such device. Deferred: removed now if unused, else at its last close (the dm form of
    /// delete-on-close); the ioctl succeeds either way. Not deferred: EBUSY while anyone holds it open.
    /// </summary>
    internal bool Remove(DmLookup device, bool deferred, ulong expectedDiskseq)
        => RunOrAbsent(LibC.DM_DEV_REMOVE, "ioctl(DM_DEV_REMOVE)", DmRequest.Remove(Abi, device, deferred, expectedDiskseq), device);

    internal List<DmListedDevice> ListDevices()
    {
        const string call = "ioctl(DM_LIST_DEVICES)";
        int size = ListBufferInitialSize;
        for (int attempt = 1; attempt <= ListBufferAttempts; attempt++, size *= 2)
        {
            byte[] buffer = DmRequest.ListDevices(Abi, size);
            int errno = ioctl(LibC.DM_LIST_DEVICES, buffer);
            if (errno != 0)
                throw new NativeException(call, ControlPath, errno);
            if (!DmReply.BufferFull(buffer))
                return DmReply.ParseNameList(buffer, Abi, call);
            Log.Step($"{call}: {size} bytes are too few for the list (attempt {attempt}), retrying with {size * 2}");
        }
        throw new HotplugFailure($"{call}: the device list does not fit {size / 2} bytes after {ListBufferAttempts} attempts");
    }

    private (DmAbi, DmVersion) Probe()
    {
        const string call = "ioctl(DM_VERSION)";
        byte[] strict = DmRequest.Version(DmAbi.Strict);
        int errno = ioctl(LibC.DM_VERSION, strict);
        if (errno == 0)
            return (DmAbi.Strict, CheckVersion(DmReply.ParseVersion(strict), LibC.DM_VERSION_MAJOR_STRICT));
        // Kernels without the series refuse major 5 in check_version() with EINVAL (and log one
        // "ioctl interface mismatch" line); anything else is a real failure.
        if (errno != LibC.EINVAL)
            throw new NativeException(call, ControlPath, errno);
        byte[] legacy = DmRequest.Version(DmAbi.Legacy);
        errno = ioctl(LibC.DM_VERSION, legacy);
        if (errno != 0)
            throw new NativeException(call, ControlPath, errno);
        DmVersion version = CheckVersion(DmReply.ParseVersion(legacy), LibC.DM_VERSION_MAJOR);
        if (version.Minor < MinimumLegacyMinor)
            throw new HotplugFailure($"device-mapper ioctl interface {version} is too old: deferred remove needs 4.{MinimumLegacyMinor} (Linux 3.13)");
        return (DmAbi.Legacy, version);
    }

    private static DmVersion CheckVersion(DmVersion version, uint expectedMajor)
        => version.Major == expectedMajor ? version
         : throw new HotplugFailure($"ioctl(DM_VERSION): the kernel answered version {version} to a version {expectedMajor} request");

    // Both forms of the series fill the reply on EBUSY: v2 4/4 also sets DM_EXISTS_FLAG, the 16-patch v2
    // 12/16 does not. We send dev = 0, so a non-zero dev is the existing device's.
    private static bool CarriesExistingDevice(byte[] buffer)
    {
        LibC.dm_ioctl header = MemoryMarshal.Read<LibC.dm_ioctl>(buffer);
        return (header.flags & LibC.DM_EXISTS_FLAG) != 0 || header.dev != 0;
    }

    private byte[] Run(uint request, string call, byte[] buffer, DmLookup device)
    {
        int errno = ioctl(request, buffer);
        return errno == 0 ? buffer : throw new NativeException(call, device.ToString(), errno);
    }

    private bool RunOrAbsent(uint request, string call, byte[] buffer, DmLookup device)
    {
        int errno = ioctl(request, buffer);
        if (errno == LibC.ENXIO)
            return false;
        return errno == 0 ? true : throw new NativeException(call, device.ToString(), errno);
    }

    private static unsafe int Call(SafeFd fd, uint request, byte[] buffer)
    {
        fixed (byte* p = buffer)
            return LibC.ioctl(fd, request, (LibC.dm_ioctl*)p) == -1 ? Marshal.GetLastPInvokeError() : 0;
    }
}
