using BlockDiskseq.Native;
using BlockDiskseq.Reporting;

namespace BlockDiskseq.Devices;

/// <summary>
/// Disk sequence numbers (Linux 5.15): a global counter the kernel bumps for every new disk, loop attach
/// and (since 6.5, b90ecc0379eb) media change, so major:minor plus diskseq names one incarnation of a device.
/// The kernel never issues 0, which blkback reads as "no check".
/// </summary>
internal static class DiskSequence
{
    /// <summary>Most hex digits blkback accepts (a u64).</summary>
    internal const int MaxDigits = 16;

    /// <summary>BLKGETDISKSEQ on an fd we hold, so the number belongs to the device we opened.</summary>
    internal static unsafe ulong Read(SafeFd fd, string path)
    {
        ulong diskseq = 0;
        try
        {
            NativeException.Check(LibC.ioctl(fd, LibC.BLKGETDISKSEQ, &diskseq), "ioctl(BLKGETDISKSEQ)", path);
        }
        catch (NativeException e) when (e.Errno is LibC.ENOTTY or LibC.EINVAL)
        {
            // Kernels before 5.15 have no such ioctl (loop answers EINVAL rather than ENOTTY).
            throw new HotplugFailure($"{e.Message}; disk sequence numbers need Linux 5.15 or later", e);
        }
        if (diskseq == 0)
            throw new HotplugFailure($"ioctl(BLKGETDISKSEQ) on {path} returned 0, which is not a disk sequence number");
        return diskseq;
    }

    /// <summary>
    /// The device's diskseq now, from sysfs (decimal), without opening it; a partition has its disk's. Null when
    /// the device is gone or its kernel shows none.
    /// </summary>
    internal static ulong? Current(DeviceNumber device)
    {
        string? text = KernelFile.TryReadText($"{Sysfs.DevBlock(DiskLayout.WholeDisk(device))}/diskseq")?.TrimEnd('\n');
        return ulong.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ulong value)
            ? value : null;
    }

    /// <summary>The Xenstore form: printf("%llx"), lower-case hex, no leading zeros, no prefix.</summary>
    internal static string Format(ulong diskseq)
    {
        System.ArgumentOutOfRangeException.ThrowIfZero(diskseq);
        return diskseq.ToString("x");
    }

    /// <summary>
    /// Exactly what blkback's parser (the series, docs/protocol-facts.md §6) accepts: 1 to 16 hex digits of either
    /// case, the first not '0', nothing else (no sign, prefix, whitespace or newline).
    /// </summary>
    internal static bool TryParse(string? text, out ulong diskseq)
    {
        diskseq = 0;
        if (string.IsNullOrEmpty(text) || text.Length > MaxDigits || text[0] == '0')
            return false;
        ulong value = 0;
        foreach (char c in text)
        {
            int digit = HexDigits.ValueOf(c, upperCaseAllowed: true);
            if (digit < 0)
                return false;
            value = (value << 4) | (uint)digit;
        }
        diskseq = value;
        return true;
    }
}
