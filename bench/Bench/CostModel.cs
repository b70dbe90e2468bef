using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text;
using BlockDiskseq.Devices;
using BlockDiskseq.Native;

namespace BlockDiskseq.Bench;

/// <summary>
/// The cost model of an add and a remove (issue 23): what each step costs and what it grows with. The steps that
/// are the kernel's own are timed here, in-process, on real loop devices: making and deleting a loop device, and
/// the scan that asks every bound loop device what it is bound to (issue 21's sharing checks), with none and with
/// <see cref="Bound"/> extra devices bound.
/// </summary>
internal static class CostModel
{
    private const int Rounds = 30;
    internal const int Bound = 50;

    internal sealed record Result(Sample Make, Sample Delete, Sample ScanFew, Sample ScanMany, int BoundBefore);

    public static Result Measure(World world)
    {
        var make = new List<double>();
        var delete = new List<double>();
        using (SafeFd control = NativeException.Check(LibC.open(LoopDevice.ControlPath, LibC.O_RDWR | LibC.O_CLOEXEC, 0), "open", LoopDevice.ControlPath))
        {
            for (int i = 0; i < Rounds; i++)
            {
                long started = Stopwatch.GetTimestamp();
                int number = NativeException.Check(LibC.ioctl(control, LibC.LOOP_CTL_ADD, -1), "ioctl(LOOP_CTL_ADD)", LoopDevice.ControlPath);
                make.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                started = Stopwatch.GetTimestamp();
                NativeException.Check(LibC.ioctl(control, LibC.LOOP_CTL_REMOVE, number), "ioctl(LOOP_CTL_REMOVE)", LoopDevice.ControlPath);
                delete.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }
        int boundBefore = LoopBackings.Scan().Entries.Count;
        Sample few = TimeScans("scan, bound loop devices before the run");
        var targets = new List<OpenedTarget>();
        var loops = new List<LoopDevice>();
        try
        {
            for (int i = 0; i < Bound; i++)
            {
                OpenedTarget target = OpenedTarget.Open(DiskTarget.Parse(world.Image(1000 + i)), AccessMode.Read);
                targets.Add(target);
                loops.Add(LoopDevice.Attach(target, readOnly: true));
            }
            Sample many = TimeScans($"scan, {Bound} more bound");
            return new Result(new Sample("LOOP_CTL_ADD", make), new Sample("LOOP_CTL_REMOVE", delete), few, many, boundBefore);
        }
        finally
        {
            foreach (LoopDevice loop in loops)
                loop.Dispose(); // detaches and deletes it
            foreach (OpenedTarget target in targets)
                target.Dispose();
        }
    }

    private static Sample TimeScans(string name)
    {
        var times = new List<double>();
        for (int i = 0; i < Rounds; i++)
        {
            long started = Stopwatch.GetTimestamp();
            _ = LoopBackings.Scan();
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        return new Sample(name, times);
    }

    public static void Append(StringBuilder md, Result r, OpenFiles.Case? openFiles)
    {
        double perBound = (r.ScanMany.Median - r.ScanFew.Median) / Bound * 1000;
        md.AppendLine("## Cost model: what an add and a remove grow with");
        md.AppendLine();
        md.AppendLine($"Kernel steps timed in-process ({Rounds} rounds, medians): making a loop device (LOOP_CTL_ADD) {Report.Ms(r.Make.Median)},");
        md.AppendLine($"deleting one (LOOP_CTL_REMOVE) {Report.Ms(r.Delete.Median)} (p90 {Report.Ms(r.Delete.P90)}; nearly all of it asleep in the");
        md.AppendLine($"block layer's teardown, so removes started together overlap); asking every bound loop device what it is bound");
        md.AppendLine($"to (one open and LOOP_GET_STATUS64 each) {Report.Ms(r.ScanFew.Median)} with {r.BoundBefore} bound, {Report.Ms(r.ScanMany.Median)} with");
        md.AppendLine($"{Bound} more: ~{perBound:0} us per bound loop device.");
        md.AppendLine();
        md.AppendLine("| step of an add (image file) | grows with | notes |");
        md.AppendLine("|---|---|---|");
        md.AppendLine("| process start (NativeAOT runtime) | nothing | \"Start-up inventory\" below |");
        md.AppendLine("| Xenstore requests (~20) | nothing | other guests are asked of sysfs (\"An add on a host with 1,000 other disks\") |");
        md.AppendLine("| other backends' claims | vbds on the xen-backend bus (a readdir and an attribute read each) | only when the image has a loop device or overlaps one |");
        md.AppendLine("| what bound loop devices are bound to (issue 21) | bound loop devices on the host (~" + $"{perBound:0}" + " us each) | one scan per add, under the image's lock |");
        md.AppendLine("| mounts in our namespace | lines of /proc/self/mountinfo | |");
        md.AppendLine("| exclusive-claim probe | devices related to the target (usually none for a new image) | naming a holder walks mount namespaces only when a claim is found |");
        md.AppendLine($"| the loop device | nothing: LOOP_CTL_ADD, open, LOOP_CONFIGURE ({Report.Ms(r.Make.Median)} + ~0.1 ms) | no /proc/PID/fd scan any more (it cost ~1.8 us per fd open on the host) |");
        md.AppendLine("| remove: delete the loop device | nothing (one LOOP_CTL_REMOVE, plus up to 4 leftovers a held device left) | the remove pays for a bounded pool |");
        md.AppendLine();
        if (openFiles is not null)
            md.AppendLine($"Open files on the host no longer count: {OpenFiles.ExtraFds:N0} more made an add {openFiles.With.Median / openFiles.Without.Median:0.00}x as long (above; 46 ms vs 8.8-10.7 ms before issue 23).");
        md.AppendLine();
    }
}
