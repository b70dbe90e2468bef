using System.Linq;
using BlockDiskseq.DeviceMapper;
using BlockDiskseq.Devices;
using BlockDiskseq.Native;
using BlockDiskseq.Reporting;
using Xunit;

namespace BlockDiskseq.Tests.DeviceMapper;

/// <summary>DmControl against the model of the kernel's ioctl handling (FakeDmKernel), in both ABIs.</summary>
public class DmControlTests
{
    private const string Name = "block-diskseq-7-51712-snap";
    private const string Uuid = "BLOCK-DISKSEQ-7-51712-snap-0123456789abcdef";
    private static readonly DmTarget[] Table = { new(0, 2048, "linear", "7:0 0") };

    private static (FakeDmKernel, DmControl) Open(bool strict, uint minor = 48)
    {
        var kernel = new FakeDmKernel { SupportsStrict = strict, KernelMinor = strict ? 49 : minor };
        var dm = new DmControl(kernel.Ioctl);
        kernel.Rejections.Clear();   // a legacy probe's refused major 5 is expected
        return (kernel, dm);
    }

    [Fact]
    public void ProbeSettlesOnStrictWhenTheKernelTakesMajor5()
    {
        var (kernel, dm) = Open(strict: true);
        Assert.Equal(DmAbi.Strict, dm.Abi);
        Assert.Equal(new DmVersion(5, 49, 0), dm.KernelVersion);
        Assert.Single(kernel.Calls);
    }

    [Fact]
    public void ProbeFallsBackToLegacyOnEinval()
    {
        var (kernel, dm) = Open(strict: false);
        Assert.Equal(DmAbi.Legacy, dm.Abi);
        Assert.Equal(new DmVersion(4, 48, 0), dm.KernelVersion);
        Assert.Equal(new uint[] { 5, 4 }, kernel.Calls.Select(c => FakeDmKernel.U32(c.Sent, 0)));
    }

    [Fact]
    public void ProbeFailsOnOtherErrors()
    {
        var kernel = new FakeDmKernel { FailNext = _ => LibC.EACCES };
        var e = Assert.Throws<NativeException>(() => new DmControl(kernel.Ioctl));
        Assert.Equal("ioctl(DM_VERSION) on /dev/mapper/control: Permission denied (EACCES)", e.Message);
    }

    [Fact]
    public void ProbeRefusesKernelsWithoutDeferredRemove()
    {
        var kernel = new FakeDmKernel { SupportsStrict = false, KernelMinor = 26 };
        Assert.Contains("too old", Assert.Throws<HotplugFailure>(() => new DmControl(kernel.Ioctl)).Message);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void CreateLoadResumeStatusRemove(bool strict)
    {
        var (kernel, dm) = Open(strict);
        DmCreateResult created = dm.Create(Name, Uuid);
        Assert.True(created.Created);
        FakeDmKernel.Device device = Assert.Single(kernel.Devices);
        Assert.Equal(new DeviceNumber(FakeDmKernel.Major, device.Minor), created.Status.Device);
        Assert.Equal(strict ? device.Diskseq : 0, created.Status.Diskseq);
        Assert.Equal(strict, device.UeventsDisabled);
        ulong expected = created.Status.Diskseq;

        DmDeviceStatus loaded = dm.LoadTable(DmLookup.ByUuid(Uuid), Table, readOnly: true, expected);
        Assert.True(loaded.Suspended);
        DmDeviceStatus resumed = dm.Resume(DmLookup.ByUuid(Uuid), expected);
        Assert.False(resumed.Suspended);
        Assert.True(resumed.ReadOnly);
        Assert.Equal(new[] { "0 2048 linear 7:0 0" }, device.ActiveTable);
        Assert.Equal(strict ? 0 : DmUdevCookie.KeepRulesAway, device.LastCookie);

        Assert.Equal(Name, dm.Status(DmLookup.ByDevice(created.Status.Device), expected)?.Name);
        Assert.True(dm.Remove(DmLookup.ByUuid(Uuid), deferred: false, expected));
        Assert.Empty(kernel.Devices);
        Assert.Null(dm.Status(DmLookup.ByUuid(Uuid), 0));
        Assert.False(dm.Remove(DmLookup.ByUuid(Uuid), deferred: true, 0));
        Assert.Empty(kernel.Rejections);
    }

    [Fact]
    public void StrictLookupsWithAnotherDiskseqFindNothing()
    {
        var (kernel, dm) = Open(strict: true);
        ulong diskseq = dm.Create(Name, Uuid).Status.Diskseq;
        Assert.Null(dm.Status(DmLookup.ByName(Name), diskseq + 1));
        Assert.False(dm.Remove(DmLookup.ByName(Name), deferred: false, diskseq + 1));
        Assert.Single(kernel.Devices);
        Assert.Contains(kernel.Rejections, r => r.StartsWith("Diskseq mismatch"));
        Assert.Equal(diskseq, dm.Status(DmLookup.ByName(Name), 0)?.Diskseq);
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]   // v2 12/16: the reply without DM_EXISTS_FLAG
    [InlineData(false, false)]
    public void CreateOfATakenNameReportsTheExistingDevice(bool strict, bool existsFlag)
    {
        var (kernel, dm) = Open(strict);
        kernel.SetsExistsFlag = existsFlag;
        FakeDmKernel.Device old = kernel.Add(Name, "BLOCK-DISKSEQ-7-51712-snap-ffffffffffffffff", openCount: 1);
        int callsBefore = kernel.Calls.Count;
        DmCreateResult result = dm.Create(Name, Uuid);
        Assert.False(result.Created);
        Assert.Equal(new DeviceNumber(FakeDmKernel.Major, old.Minor), result.Status.Device);
        Assert.Equal(1, result.Status.OpenCount);
        Assert.Equal(strict ? old.Diskseq : 0, result.Status.Diskseq);
        Assert.Equal(old.Uuid, result.Status.Uuid);   // the device's own, not the one we sent
        Assert.Equal(2, kernel.Calls.Count - callsBefore);
        Assert.Equal(LibC.DM_DEV_STATUS, kernel.Calls[^1].Request);
    }

    [Fact]
    public void AnExistingDeviceThatVanishesLeavesNoIdentity()
    {
        var (kernel, dm) = Open(strict: true);
        kernel.Add(Name, "SOMEONE-ELSE");
        kernel.FailNext = request => request == LibC.DM_DEV_STATUS ? LibC.ENXIO : null;
        DmCreateResult result = dm.Create(Name, Uuid);
        Assert.False(result.Created);
        Assert.Equal("", result.Status.Uuid);
        Assert.Equal("", result.Status.Name);
    }

    [Fact]
    public void CreateFailuresNameTheDevice()
    {
        var (kernel, dm) = Open(strict: true);
        kernel.FailNext = request => request == LibC.DM_DEV_CREATE ? LibC.ENOMEM : null;
        var e = Assert.Throws<NativeException>(() => dm.Create(Name, Uuid));
        Assert.Equal($"ioctl(DM_DEV_CREATE) on dm device {Name}: Cannot allocate memory (ENOMEM)", e.Message);
    }

    [Fact]
    public void RemoveOfAnOpenDeviceIsBusyUnlessDeferred()
    {
        var (kernel, dm) = Open(strict: true);
        FakeDmKernel.Device device = kernel.Add(Name, Uuid, openCount: 1);
        var e = Assert.Throws<NativeException>(() => dm.Remove(DmLookup.ByUuid(Uuid), deferred: false, 0));
        Assert.Equal(LibC.EBUSY, e.Errno);
        Assert.True(dm.Remove(DmLookup.ByUuid(Uuid), deferred: true, device.Diskseq));
        Assert.True(dm.Status(DmLookup.ByUuid(Uuid), 0)?.DeferredRemove);
        kernel.Close(device);
        Assert.Empty(kernel.Devices);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ListDevicesGrowsItsBufferUntilTheListFits(bool strict)
    {
        var (kernel, dm) = Open(strict);
        // About 256 bytes each with their uuids: 25 KiB, more than the first 16 KiB buffer.
        for (int i = 0; i < 100; i++)
            kernel.Add($"block-diskseq-{i}-51712-snap-{new string('x', 90)}", $"UUID-{i}-{new string('u', 100)}");
        var list = dm.ListDevices();
        Assert.Equal(100, list.Count);
        Assert.All(list, d => Assert.StartsWith("UUID-", d.Uuid));
        Assert.Contains(list, d => d.Name.StartsWith("block-diskseq-42-") && d.Device == new DeviceNumber(FakeDmKernel.Major, 42));
        Assert.True(kernel.Calls.Count(c => (c.Request & 0xff) == LibC.DM_LIST_DEVICES_CMD) >= 2, "the first buffer was too small");
        Assert.Empty(kernel.Rejections);
    }
}
