using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using BlockDiskseq.Devices;
using BlockDiskseq.Sharing;
using BlockDiskseq.Tests.Integration;

namespace BlockDiskseq.Reliability;

/// <summary>What a disk's params name, and how to recognise the devices block-diskseq made for it.</summary>
internal abstract class Subject
{
    public abstract string Kind { get; }
    public abstract string Parameters { get; }

    /// <summary>Loop devices bound to this subject's image now that the harness did not attach itself.</summary>
    public abstract IReadOnlyList<DeviceNumber> OurLoops();

    /// <summary>Whether the device is what params names: the image's inode behind a loop, or the target itself.</summary>
    public abstract bool IsBackedCorrectly(DeviceFacts device);

    /// <summary>The record add must write for a device it exported.</summary>
    public abstract string ExpectedRecord(DeviceNumber device, ulong diskseq);

    /// <summary>After every trial: the subject itself is intact (a block target was not torn down).</summary>
    public virtual string? Intact() => null;
}

/// <summary>params is an image file: add attaches a loop device to it.</summary>
internal sealed class FileSubject(TestImage image) : Subject
{
    public TestImage Image { get; } = image;
    public override string Kind => "file";
    public override string Parameters => Image.Path;

    public override IReadOnlyList<DeviceNumber> OurLoops() => LocalUsage.LoopsBackedBy(Image.StDev, Image.StIno);

    public override bool IsBackedCorrectly(DeviceFacts device)
        => device.BackingDev == Image.StDev && device.BackingIno == Image.StIno;

    public override string ExpectedRecord(DeviceNumber device, ulong diskseq) => $"loop {device} {DiskSequence.Format(diskseq)}";
}

/// <summary>params is a block device (a loop device the harness attached): exported as is, never torn down.</summary>
internal sealed class BlockSubject(TargetDevice target) : Subject
{
    public TargetDevice Target { get; } = target;
    public override string Kind => "block device";
    public override string Parameters => Target.Path;

    public override IReadOnlyList<DeviceNumber> OurLoops()
        => LocalUsage.LoopsBackedBy(Target.Image.StDev, Target.Image.StIno).Where(d => d != Target.Device).ToList();

    public override bool IsBackedCorrectly(DeviceFacts device)
        => device.Device == Target.Device && device.Diskseq == Target.Diskseq;

    public override string ExpectedRecord(DeviceNumber device, ulong diskseq) => "none";

    public override string? Intact()
        => Devices.Inspect(Target.Device) is DeviceFacts now && now.Diskseq == Target.Diskseq
           && now.BackingDev == Target.Image.StDev && now.BackingIno == Target.Image.StIno
            ? null
            : $"the target {Target.Path} ({Target.Device}, diskseq {DiskSequence.Format(Target.Diskseq)}) is no longer bound to {Target.Image.Path}";
}

/// <summary>A loop device the harness attached with losetup as a block-device target; detached at the end if still its own.</summary>
internal sealed class TargetDevice : System.IDisposable
{
    private TargetDevice(TestImage image, string path, DeviceFacts facts)
    {
        Image = image;
        Path = path;
        Device = facts.Device;
        Diskseq = facts.Diskseq;
    }

    public TestImage Image { get; }
    public string Path { get; }
    public DeviceNumber Device { get; }
    public ulong Diskseq { get; }

    public static TargetDevice Attach(TestImage image)
    {
        string path = Losetup.Attach(image.Path);
        DeviceFacts facts = Devices.InspectPath(path) ?? throw new System.InvalidOperationException($"{path} vanished after losetup");
        return new TargetDevice(image, path, facts);
    }

    public void Dispose()
    {
        if (Devices.Inspect(Device) is DeviceFacts now && now.Diskseq == Diskseq)
            Losetup.Detach(Path);
    }
}

/// <summary>losetup, for the harness only (the binary never runs it).</summary>
internal static class Losetup
{
    public static string Attach(string image)
    {
        (int exit, string output) = RunTool("losetup", "-f", "--show", image);
        return exit == 0 ? output.Trim() : throw new System.InvalidOperationException($"losetup -f {image}: {output}");
    }

    /// <summary>
    /// Like Attach, but null when losetup lost the race for the free device it picked (EBUSY: another attach, or
    /// block-diskseq's O_EXCL open, took it between LOOP_CTL_GET_FREE and LOOP_CONFIGURE; util-linux does not retry).
    /// </summary>
    public static string? TryAttach(string image)
    {
        (int exit, string output) = RunTool("losetup", "-f", "--show", image);
        if (exit == 0)
            return output.Trim();
        return output.Contains("Device or resource busy", System.StringComparison.Ordinal) ? null
            : throw new System.InvalidOperationException($"losetup -f {image}: {output}");
    }

    public static bool Detach(string device) => RunTool("losetup", "-d", device).Exit == 0;

    private static (int Exit, string Output) RunTool(string tool, params string[] args)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        using Process process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }
}
