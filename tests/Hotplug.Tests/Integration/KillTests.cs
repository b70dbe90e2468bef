using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using BlockDiskseq.Backend;
using BlockDiskseq.Devices;
using BlockDiskseq.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace BlockDiskseq.Tests.Integration;

/// <summary>
/// libxl SIGKILLs a script that overruns (docs/protocol-facts.md §1). Killed at any instant, add must leave nothing
/// that outlives the teardown: its loop device is delete-on-close and our fd is the only reference until
/// blkback holds it, and blkback's reference ends with the device. Remove, killed at any instant, must leave
/// what a second remove finishes. The kernel's delete-on-close alone would keep the device count at zero, so
/// every trial also checks Xenstore: physical-device, diskseq and the record all there and naming one device,
/// or none of them; and a trial counts as a landed kill only if the process was still running when killed
/// (an add that exits first tests nothing about kills). tests/soak/kill-add runs many more trials.
/// </summary>
[Collection(LoopDeviceCollection.Name)]
public sealed class KillTests : IDisposable
{
    internal const string TrialsVariable = "BLOCK_DISKSEQ_KILL_TRIALS";
    private const int DefaultTrials = 30;
    /// <summary>Unkilled runs timed first, so kills spread over a whole run on this machine at its current load.</summary>
    private const int CalibrationRuns = 3;
    /// <summary>Kills spread over 1.5 times the fastest run, so about two in three land; require one in three.</summary>
    private const int LandedShare = 3;

    private readonly HotplugHarness world = new();
    private readonly ITestOutputHelper output;

    public KillTests(ITestOutputHelper output) => this.output = output;

    public void Dispose() => world.Dispose();

    private static int Trials => int.TryParse(Environment.GetEnvironmentVariable(TrialsVariable), CultureInfo.InvariantCulture, out int n) ? n : DefaultTrials;

    [IntegrationFact]
    public void AddKilledAtRandomInstantsLeavesNothing()
        => KillTrials("add", 1000, (image, domid, delayMs) => AddTrial(image, domid, delayMs));

    [IntegrationFact]
    public void RemoveKilledAtRandomInstantsLeavesWhatASecondRemoveFinishes()
        => KillTrials("remove", 3000, (image, domid, delayMs) => RemoveTrial(image, domid, delayMs));

    /// <summary>Runs the trials; each returns its failure (null: none) and whether the kill landed.</summary>
    private void KillTrials(string verb, uint firstDomid, Func<TestImage, uint, int, (string? Failure, bool Landed, long? RunMs)> trial)
    {
        int trials = Trials;
        int seed = Environment.TickCount;
        var random = new Random(seed);
        TestImage image = world.Image();
        HashSet<string> before = LoopDeviceNames();
        long fastestMs = Calibrate(image, verb);
        var failures = new List<string>();
        int landed = 0;
        for (int i = 0; i < trials; i++)
        {
            int delayMs = random.Next((int)(fastestMs * 3 / 2) + 1);
            (string? failure, bool didLand, long? runMs) = trial(image, firstDomid + (uint)i, delayMs);
            if (failure is not null)
                failures.Add($"trial {i} (kill after {delayMs} ms, {(didLand ? "landed" : "after the exit")}): {failure}");
            if (didLand)
                landed++;
            if (runMs is long ms)
                fastestMs = Math.Min(fastestMs, ms);
        }
        int required = Math.Max(1, trials / LandedShare);
        // tests/soak/kill-add reads these lines.
        output.WriteLine($"kill trials ({verb}): {trials - failures.Count} passed, {failures.Count} failed "
            + $"(seed {seed}; fastest {verb} {fastestMs} ms; {landed} kills landed inside a running {verb}, {required} required)");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        // A device a remove cannot find outlives every teardown: each new one must be marked (UdevMarker), so that
        // a later remove (here the harness) deletes it once it is free.
        string[] unmarked = [.. LoopDeviceNames().Except(before).Where(name => !Directory.Exists(Path.Combine(world.RunDir, "udev", name)))];
        Assert.True(unmarked.Length == 0, $"loop devices made during the trials that no remove can find: {string.Join(", ", unmarked)}");
        Assert.True(landed >= required, $"only {landed} of {trials} kills landed while {verb} ran ({required} required): the trials tested exits, not kills");
    }

    /// <summary>The fastest of a few complete runs of the verb (process start included), in milliseconds.</summary>
    private int Calibrate(TestImage image, string verb)
    {
        long fastest = long.MaxValue;
        for (int run = 0; run < CalibrationRuns; run++)
        {
            TestBackend be = world.Backend(900 + (uint)run + (verb == "add" ? 0u : 10u), 51712, image.Path);
            var clock = Stopwatch.StartNew();
            world.Succeed(be, "add");
            if (verb == "add")
                fastest = Math.Min(fastest, clock.ElapsedMilliseconds);
            be.Blkback!.Shutdown();
            clock.Restart();
            world.Succeed(be, "remove");
            if (verb == "remove")
                fastest = Math.Min(fastest, clock.ElapsedMilliseconds);
        }
        return (int)fastest;
    }

    /// <summary>Starts the verb and kills it after delayMs unless it exited first; returns whether the kill landed and the run time if it finished.</summary>
    private (bool Landed, long? RunMs) RunAndKill(TestBackend be, string verb, int delayMs)
    {
        var clock = Stopwatch.StartNew();
        using Process process = world.Start([verb], world.LibxlEnvironment(be));
        bool exited = process.WaitForExit(delayMs);
        long elapsed = clock.ElapsedMilliseconds;
        if (!exited)
        {
            try
            {
                process.Kill();
            }
            catch (InvalidOperationException)
            {
                exited = true; // it exited between the wait and the kill
            }
        }
        HotplugResult result = HotplugHarness.Finish(process);
        // A kill that races the exit: the status says which won (128 + SIGKILL through sh -c's exec is -1 / 137).
        bool landed = !exited && result.ExitCode is not 0 and not 1;
        return (landed, exited && result.ExitCode == 0 ? elapsed : null);
    }

    /// <summary>One add killed after delayMs, then the toolstack's teardown.</summary>
    private (string? Failure, bool Landed, long? RunMs) AddTrial(TestImage image, uint domid, int delayMs)
    {
        TestBackend be = world.Backend(domid, 51712, image.Path, "w", domid % 2 == 0 ? BlkbackFlavour.Series : BlkbackFlavour.Mainline);
        (bool landed, long? addMs) = RunAndKill(be, "add", delayMs);
        string? failure = ExportIsWholeOrAbsent(be);
        // After a failed or killed add the toolstack tears down: blkback closes, then remove runs.
        be.Blkback!.Shutdown();
        HotplugResult remove = world.Run(be, "remove");
        be.Blkback.Dispose();
        failure ??= remove.ExitCode != 0 ? $"remove failed: {remove}" : NothingLeft(be, image);
        return (failure ?? be.Blkback.Error?.ToString(), landed, addMs);
    }

    /// <summary>One remove killed after delayMs (after a complete add and blkback's close), then a second remove.</summary>
    private (string? Failure, bool Landed, long? RunMs) RemoveTrial(TestImage image, uint domid, int delayMs)
    {
        TestBackend be = world.Backend(domid, 51712, image.Path, "w", domid % 2 == 0 ? BlkbackFlavour.Series : BlkbackFlavour.Mainline);
        HotplugResult add = world.Run(be, "add");
        if (add.ExitCode != 0)
            return ($"add failed: {add}", false, null);
        be.Blkback!.Shutdown();
        (bool landed, long? removeMs) = RunAndKill(be, "remove", delayMs);
        // Remove forgets physical-device first and the record last: physical-device without the record
        // (or the record gone with a device still bound) would leave nothing for the second remove to finish.
        string? failure = null;
        if (be["physical-device"] is not null && (be["diskseq"] is null || be[RecordKey] is null))
            failure = $"killed remove left physical-device {be["physical-device"]} without diskseq {be["diskseq"]} or record {be[RecordKey]}";
        else if (be[RecordKey] is null && HotplugHarness.LoopsLeft(image) != 0)
            failure = "killed remove deleted the record but left the loop device bound";
        HotplugResult again = world.Run(be, "remove");
        be.Blkback.Dispose();
        failure ??= again.ExitCode != 0 ? $"the second remove failed: {again}" : NothingLeft(be, image);
        return (failure ?? be.Blkback.Error?.ToString(), landed, removeMs);
    }

    private const string RecordKey = "block-diskseq/layers";

    /// <summary>physical-device, diskseq and the record: all present and naming one device, or all absent.</summary>
    private static string? ExportIsWholeOrAbsent(TestBackend be)
    {
        string? physicalDevice = be["physical-device"], diskseq = be["diskseq"], record = be[RecordKey];
        if (physicalDevice is null && diskseq is null && record is null)
            return null;
        if (physicalDevice is null || diskseq is null || record is null)
            return $"half an export in Xenstore: physical-device {physicalDevice}, diskseq {diskseq}, record {record}";
        if (!DiskseqRecord.TryParse(record, out DiskseqRecord parsed) || parsed.Top is not CreatedLayer top
            || top.Device.ToString() != physicalDevice || DiskSequence.Format(top.Diskseq) != diskseq)
            return $"the record '{record}' does not name physical-device {physicalDevice} diskseq {diskseq}";
        return null;
    }

    private static HashSet<string> LoopDeviceNames()
        => [.. Directory.EnumerateFileSystemEntries("/sys/block", "loop*").Select(Path.GetFileName).OfType<string>()];

    /// <summary>After remove: no loop device on the image and none of the nodes add wrote.</summary>
    private static string? NothingLeft(TestBackend be, TestImage image)
    {
        if (HotplugHarness.LoopsLeft(image) != 0)
        {
            HotplugHarness.DetachLeftovers(image); // so the next trial starts clean
            return "a loop device stayed bound to the image";
        }
        string[] left = new[] { "physical-device", "diskseq", "physical-device-path", "node", "block-diskseq" }
            .Where(key => be[key] is not null || be.Exists(key)).ToArray();
        return left.Length == 0 ? null : $"remove left {string.Join(", ", left)} in Xenstore";
    }
}
