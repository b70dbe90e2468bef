using System;
using System.Threading;
using BlockDiskseq.Tests.Integration;

namespace BlockDiskseq.Reliability;

/// <summary>
/// Loop-device churn beside the storm, of the kind systemd's loop tests make: another process (losetup)
/// attaches a loop device to an image of the harness's own, holds it a moment and detaches it, over and
/// over, so loop numbers freed by block-diskseq are taken by someone else. Each cycle checks, by inode,
/// that the device is still bound to the churn image before detaching it; a device that changed under it
/// means someone tore down a loop device that was not theirs (a wrong-disk event). It detaches only what
/// it attached.
/// </summary>
internal sealed class LoopChurn : IDisposable
{
    private readonly TestImage image;
    private readonly Tally tally;
    private readonly Random random;
    private readonly Thread thread;
    private volatile bool stopping;
    private int cycles;

    public LoopChurn(TestImage image, int seed, Tally tally)
    {
        this.image = image;
        this.tally = tally;
        random = new Random(seed ^ 0x5eed);
        thread = new Thread(Churn) { IsBackground = true };
        thread.Start();
    }

    public int Cycles => cycles;
    /// <summary>Attaches that lost the race for a free device to a concurrent attach (counted, retried).</summary>
    public int LostRaces { get; private set; }

    private void Churn()
    {
        while (!stopping)
        {
            var verdict = new Verdict();
            string? device;
            try
            {
                device = Losetup.TryAttach(image.Path);
            }
            catch (InvalidOperationException e)
            {
                verdict.Fail(e.Message);
                tally.Record(verdict, $"churn cycle {cycles}", landed: false);
                cycles++;
                continue;
            }
            if (device is null)
            {
                LostRaces++; // the storm took the free device first: the churn this part is for
                continue;
            }
            DeviceFacts? attached = Devices.InspectPath(device);
            Thread.Sleep(random.Next(20));
            DeviceFacts? now = Devices.InspectPath(device);
            if (attached is not DeviceFacts before || now is not DeviceFacts after || after.Diskseq != before.Diskseq
                || after.BackingIno != image.StIno || after.BackingDev != image.StDev)
            {
                verdict.WrongDiskFound($"the churn's {device} (diskseq {attached?.Diskseq}) changed under it: now {now?.ToString() ?? "gone"}");
            }
            else if (!Losetup.Detach(device))
            {
                verdict.Fail($"losetup -d {device} failed");
            }
            tally.Record(verdict, $"churn cycle {cycles} on {device}", landed: false);
            cycles++;
        }
    }

    public void Dispose()
    {
        stopping = true;
        thread.Join();
    }
}
