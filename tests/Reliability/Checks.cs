using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using BlockDiskseq.Devices;

namespace BlockDiskseq.Reliability;

/// <summary>
/// The invariants checked after every trial (issue 13; docs/reliability.md says what each means):
/// - the exit status is 0 or 1 (or the SIGKILL the harness or strace sent): never 134, never a stack trace;
/// - a failure wrote hotplug-error and hotplug-status, or the log says why it could not;
/// - physical-device, diskseq and the record are all present, describing a live device backed by params,
///   or all absent (remove: the exported pair goes first, the record last, so it may outlive them);
/// - every loop device of ours is recorded and exported, or held by blkback;
/// - blkback never holds a device whose backing object is not params (a wrong-disk event);
/// - the toolstack's teardown and remove leave nothing behind.
/// </summary>
internal static partial class Checks
{
    /// <summary>Autoclear detaches at the last close, which a dying process reaches while exiting: allow a moment.</summary>
    private static readonly TimeSpan SettleLimit = TimeSpan.FromSeconds(3);

    [GeneratedRegex(@"Unhandled exception|^\s+at \S+\(|Process terminated|FailFast", RegexOptions.Multiline)]
    private static partial Regex StackTrace();

    /// <summary>Exit 0 or 1; SIGKILL only where the trial sent one.</summary>
    public static void Exit(Verdict verdict, Outcome outcome, bool sigkillSent)
    {
        if (outcome.Hung)
            verdict.UnexpectedExitFound($"ran past {Lab.RunLimit.TotalSeconds} s: {outcome}");
        else if (outcome.ExitCode is not (0 or 1) && !(sigkillSent && outcome.DiedOfSigkill))
            verdict.UnexpectedExitFound(outcome.ToString());
        if (StackTrace().IsMatch(outcome.Stderr))
            verdict.UnexpectedExitFound($"a .NET stack trace or fail-fast on stderr: {outcome}");
    }

    /// <summary>Exit 1: hotplug-error and hotplug-status written, or the log says why not.</summary>
    public static void FailureReported(Verdict verdict, Outcome outcome, Disk disk)
    {
        if (outcome.ExitCode != 1)
            return;
        string? error = disk.Backend["hotplug-error"];
        string? status = disk.Backend["hotplug-status"];
        bool written = !string.IsNullOrEmpty(error) && status is "error" or "busy";
        bool explained = outcome.Stderr.Contains("could not write hotplug-error", StringComparison.Ordinal)
            || outcome.Stderr.Contains("Xenstore", StringComparison.OrdinalIgnoreCase);
        if (!written && !explained)
            verdict.Fail($"exit 1 without hotplug-error/hotplug-status (error '{error}', status '{status}') "
                + $"and no word in the log on why: {outcome}");
    }

    /// <summary>After add: all three nodes or none; present ones describe a device backed by params.</summary>
    public static void AfterAdd(Verdict verdict, Outcome outcome, Disk disk, bool sigkillSent)
    {
        (string? pd, string? ds, string? record) = (disk.PhysicalDevice, disk.Diskseq, disk.Record);
        int present = new[] { pd, ds, record }.Count(node => node is not null);
        if (present is not (0 or 3))
        {
            verdict.Fail($"add left a partial export: physical-device '{pd}', diskseq '{ds}', record '{record}' ({outcome})");
            return;
        }
        bool killed = outcome.DiedOfSigkill && sigkillSent;
        if (outcome.ExitCode == 0 && present == 0)
            verdict.Fail($"add exited 0 but exported nothing ({outcome})");
        if (outcome.ExitCode == 1 && present == 3)
            verdict.Fail($"add failed but left physical-device '{pd}', diskseq '{ds}', record '{record}' ({outcome})");
        if (present == 3)
            Exported(verdict, disk, pd!, ds!, record!, mustBeLive: outcome.ExitCode == 0, mustBeHeld: outcome.ExitCode == 0 && !killed);
        BlkbackHoldsParams(verdict, disk);
        LoopsAccountedFor(verdict, disk);
    }

    /// <summary>After remove: physical-device only with diskseq and the record; no exported node without the record.</summary>
    public static void AfterRemove(Verdict verdict, Outcome outcome, Disk disk)
    {
        (string? pd, string? ds, string? record) = (disk.PhysicalDevice, disk.Diskseq, disk.Record);
        if (pd is not null && (ds is null || record is null))
            verdict.Fail($"remove left physical-device '{pd}' without diskseq '{ds}' or record '{record}' ({outcome})");
        if (record is null && (pd is not null || ds is not null))
            verdict.Fail($"remove dropped the record but left physical-device '{pd}', diskseq '{ds}' ({outcome})");
        if (outcome.ExitCode == 0 && (pd ?? ds ?? record) is not null)
            verdict.Fail($"remove exited 0 but left physical-device '{pd}', diskseq '{ds}', record '{record}' ({outcome})");
        if (pd is not null && ds is not null && record is not null)
            Exported(verdict, disk, pd, ds, record, mustBeLive: false, mustBeHeld: false);
        LoopsAccountedFor(verdict, disk, recordAlone: true);
    }

    /// <summary>
    /// The exported nodes name one device: the record says so, and while the device with that number has
    /// the written diskseq it is backed by params (if not, blkback would be handed the wrong disk).
    /// A device gone or carrying another diskseq is stale, which diskseq makes harmless; it is allowed only
    /// where the process that wrote it was killed (mustBeLive false).
    /// </summary>
    private static void Exported(Verdict verdict, Disk disk, string pd, string ds, string record, bool mustBeLive, bool mustBeHeld)
    {
        if (!DeviceNumber.TryParse(pd, out DeviceNumber device) || !DiskSequence.TryParse(ds, out ulong diskseq))
        {
            verdict.Fail($"malformed export: physical-device '{pd}', diskseq '{ds}'");
            return;
        }
        if (record != disk.Subject.ExpectedRecord(device, diskseq))
            verdict.Fail($"record '{record}' does not describe physical-device {pd} diskseq {ds} (expected '{disk.Subject.ExpectedRecord(device, diskseq)}')");
        DeviceFacts? now = Devices.Inspect(device);
        if (now is not DeviceFacts facts || facts.Diskseq != diskseq)
        {
            if (mustBeLive)
                verdict.Fail($"physical-device {pd} diskseq {ds} names no live device (now: {Describe(now)})");
            return;
        }
        if (!disk.Subject.IsBackedCorrectly(facts))
            verdict.WrongDiskFound($"physical-device {pd} diskseq {ds} is backed by {Describe(now)}, not {disk.Subject.Parameters}");
        if (mustBeHeld && disk.Blkback.HeldDevice != device)
            verdict.Fail($"add exited 0 but blkback does not hold {pd} (holds {disk.Blkback.HeldDevice?.ToString() ?? "nothing"})");
    }

    /// <summary>Whatever blkback holds must be backed by params: anything else is a wrong-disk event.</summary>
    public static void BlkbackHoldsParams(Verdict verdict, Disk disk)
    {
        if (disk.Blkback.HeldDevice is not DeviceNumber held)
            return;
        // The emulator's fd pins the binding, so what Inspect sees is what blkback holds (unless it let go meanwhile).
        if (Devices.Inspect(held) is DeviceFacts facts && disk.Blkback.HeldDevice == held && !disk.Subject.IsBackedCorrectly(facts))
            verdict.WrongDiskFound($"blkback of {disk.Backend.Relative} holds {held} backed by {Describe(facts)}, not {disk.Subject.Parameters}");
    }

    /// <summary>
    /// Every loop device bound to the subject's image (but not attached by the harness) is the exported and
    /// recorded device, or held by blkback (a failed add's device lives until the toolstack's teardown).
    /// After remove (recordAlone) a device in the record is accounted for too: a failed teardown keeps it there.
    /// </summary>
    private static void LoopsAccountedFor(Verdict verdict, Disk disk, bool recordAlone = false)
    {
        List<DeviceNumber> unaccounted = [];
        _ = SpinWait.SpinUntil(() => (unaccounted = Unaccounted(disk, recordAlone)).Count == 0, SettleLimit);
        if (unaccounted.Count > 0)
            verdict.LeakFound($"{string.Join(", ", unaccounted)} bound to {disk.Subject.Parameters}, neither exported and recorded nor held by blkback "
                + $"(physical-device '{disk.PhysicalDevice}', record '{disk.Record}')");
    }

    private static List<DeviceNumber> Unaccounted(Disk disk, bool recordAlone)
    {
        string? pd = disk.PhysicalDevice;
        string? record = disk.Record;
        return disk.Subject.OurLoops().Where(device =>
        {
            string number = device.ToString();
            bool recorded = record is not null && record.Split(';').Any(layer => layer.Split(' ').ElementAtOrDefault(1) == number);
            bool exported = pd == number;
            return !(recorded && (exported || recordAlone)) && disk.Blkback.HeldDevice != device;
        }).ToList();
    }

    /// <summary>The toolstack's teardown and remove: exit 0, no node of ours, no device of ours, the subject intact.</summary>
    public static void TeardownLeavesNothing(Verdict verdict, Disk disk)
    {
        Outcome remove = disk.Teardown();
        Exit(verdict, remove, sigkillSent: false);
        if (remove.ExitCode != 0)
        {
            // A remove that fails keeps the record for a retry, which libxl does not make; we do, once.
            verdict.Fail($"the toolstack's remove after the trial failed: {remove}");
            remove = disk.Run("remove");
            if (remove.ExitCode != 0)
                verdict.Fail($"and a second remove failed too: {remove}");
        }
        if ((disk.PhysicalDevice ?? disk.Diskseq ?? disk.Record) is not null || disk.OwnDirectoryExists)
            verdict.Fail($"remove left nodes: physical-device '{disk.PhysicalDevice}', diskseq '{disk.Diskseq}', record '{disk.Record}'");
        List<DeviceNumber> left = [];
        _ = SpinWait.SpinUntil(() => (left = [.. disk.Subject.OurLoops()]).Count == 0, SettleLimit);
        if (left.Count > 0)
            verdict.LeakFound($"{string.Join(", ", left)} still bound to {disk.Subject.Parameters} after teardown and remove");
        if (disk.Subject.Intact() is string broken)
            verdict.WrongDiskFound(broken);
        if (disk.Blkback.Error is Exception e)
            verdict.Fail($"the blkback emulator failed: {e.Message}");
    }

    private static string Describe(DeviceFacts? facts) => facts is DeviceFacts f
        ? $"{f.Device} diskseq {DiskSequence.Format(f.Diskseq)}" + (f.BackingIno is ulong ino ? $" on inode {f.BackingDev}:{ino}" : "")
        : "no device";
}
