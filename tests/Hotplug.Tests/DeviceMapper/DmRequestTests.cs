using System;
using System.Linq;
using BlockDiskseq.DeviceMapper;
using BlockDiskseq.Devices;
using Xunit;
using static BlockDiskseq.Tests.DeviceMapper.FakeDmKernel;

namespace BlockDiskseq.Tests.DeviceMapper;

/// <summary>Request buffers byte by byte, at the offsets of &lt;linux/dm-ioctl.h&gt; (not via the C# struct).</summary>
public class DmRequestTests
{
    private const string Name = "block-diskseq-7-51712-snap";
    private const string Uuid = "BLOCK-DISKSEQ-7-51712-snap-0123456789abcdef";
    private const uint Cookie = 0x004F0000;   // DISABLE_DM|SUBSYSTEM|DISK|OTHER|PRIMARY_SOURCE << 16, base 0

    [Theory]
    [InlineData(true, 5u, 49u)]
    [InlineData(false, 4u, 0u)]
    public void VersionIsABareHeader(bool strict, uint major, uint minor)
    {
        byte[] b = DmRequest.Version(strict ? DmAbi.Strict : DmAbi.Legacy);
        Assert.Equal(312, b.Length);
        Assert.Equal(major, U32(b, 0));
        Assert.Equal(minor, U32(b, 4));
        Assert.Equal(0u, U32(b, 8));
        Assert.Equal(312u, U32(b, 12));
        Assert.True(b.AsSpan(16).IndexOfAnyExcept((byte)0) < 0, "everything after data_size is zero");
    }

    [Fact]
    public void StrictCreateDisablesUeventsAndCarriesNoCookie()
    {
        byte[] b = DmRequest.Create(DmAbi.Strict, Name, Uuid);
        Assert.Equal(312u, U32(b, 12));
        Assert.Equal(0u, U32(b, 16));              // data_start: strict no-parameter ioctl
        Assert.Equal(1u << 9, U32(b, 28));          // DM_DISABLE_UEVENTS_FLAG
        Assert.Equal(0u, U32(b, 32));
        Assert.Equal(Name, CString(b, 48, 128));
        Assert.Equal(Uuid, CString(b, 176, 129));
        Assert.True(b.AsSpan(48 + Name.Length, 128 - Name.Length).IndexOfAnyExcept((byte)0) < 0);
        Assert.True(b.AsSpan(176 + Uuid.Length, 312 - 176 - Uuid.Length).IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public void LegacyCreateHasNoStrictOnlyFlagAndNoCookie()
    {
        byte[] b = DmRequest.Create(DmAbi.Legacy, Name, Uuid);
        Assert.Equal(4u, U32(b, 0));
        Assert.Equal(0u, U32(b, 28));   // bit 9 would be the obsolete SKIP_BDGET there
        Assert.Equal(0u, U32(b, 32));   // DEV_CREATE emits no uevent: nothing to tag
    }

    [Fact]
    public void StrictLookupsCarryTheExpectedDiskseqInBothHalves()
    {
        byte[] b = DmRequest.Status(DmAbi.Strict, DmLookup.ByUuid(Uuid), 0x0000_0012_3456_789A);
        Assert.Equal(0x3456_789Au, U32(b, 36));     // diskseq_low, where legacy has padding
        Assert.Equal(0x12u, U32(b, 308));           // diskseq_high
        Assert.Equal(0, b[305] | b[306] | b[307]);  // _padding[3]
        Assert.Equal(Uuid, CString(b, 176, 129));
        Assert.Equal(0, b[48]);                     // name empty: the kernel refuses both
    }

    [Fact]
    public void LegacyLookupsLeaveThePaddingZero()
    {
        byte[] b = DmRequest.Remove(DmAbi.Legacy, DmLookup.ByName(Name), deferred: false, 0x0000_0012_3456_789A);
        Assert.Equal(0u, U32(b, 36));
        Assert.True(b.AsSpan(305).IndexOfAnyExcept((byte)0) < 0);
    }

    [Theory]
    [InlineData(false, Cookie)]
    [InlineData(true, 0u)]
    public void CookieRidesOnResumeAndRemoveInLegacyModeOnly(bool strict, uint expected)
    {
        DmAbi abi = strict ? DmAbi.Strict : DmAbi.Legacy;
        Assert.Equal(expected, U32(DmRequest.Resume(abi, DmLookup.ByName(Name), 0), 32));
        Assert.Equal(expected, U32(DmRequest.Remove(abi, DmLookup.ByName(Name), true, 0), 32));
        Assert.Equal(0u, U32(DmRequest.Status(abi, DmLookup.ByName(Name), 0), 32));
        Assert.Equal(0u, U32(DmRequest.Resume(abi, DmLookup.ByName(Name), 0), 28));   // no DM_SUSPEND_FLAG: resume
    }

    [Fact]
    public void CookieIsLibdmsFlagLayout()
    {
        Assert.Equal(Cookie, DmUdevCookie.KeepRulesAway);
        Assert.Equal(0u, DmUdevCookie.KeepRulesAway & 0xFFFF);   // base 0: no semaphore to wait on
    }

    [Fact]
    public void DeferredRemoveSetsOnlyItsFlag()
    {
        Assert.Equal(1u << 17, U32(DmRequest.Remove(DmAbi.Strict, DmLookup.ByName(Name), true, 0), 28));
        Assert.Equal(0u, U32(DmRequest.Remove(DmAbi.Strict, DmLookup.ByName(Name), false, 0), 28));
    }

    [Fact]
    public void LookupByDeviceEncodesHugeDev()
    {
        byte[] b = DmRequest.Status(DmAbi.Strict, DmLookup.ByDevice(new DeviceNumber(253, 0x12345)), 0);
        // new_encode_dev: minor low byte, major << 8, minor's upper bits << 12
        Assert.Equal(0x45UL | (253UL << 8) | (0x12300UL << 12), U64(b, 40));
        Assert.Equal(0, b[48] | b[176]);
    }

    private static readonly DmTarget[] ThreeTargets =
    {
        new(0, 2048, "linear", "7:0 0"),             // 40 + 5 + 1 = 46 -> 48
        new(2048, 4096, "snapshot", "7:1 7:2 P 8"),  // 40 + 11 + 1 = 52 -> 56
        new(6144, 8, "linear", "259:16 8"),          // 40 + 8 + 1 = 49 -> 56
    };

    [Fact]
    public void TableLoadLaysOutAlignedSpecsWithNextOffsets()
    {
        byte[] b = DmRequest.TableLoad(DmAbi.Strict, DmLookup.ByName(Name), ThreeTargets, readOnly: false, 0);
        Assert.Equal(312 + 48 + 56 + 56, b.Length);
        Assert.Equal((uint)b.Length, U32(b, 12));
        Assert.Equal(312u, U32(b, 16));
        Assert.Equal(3u, U32(b, 20));
        Assert.Equal(0u, U32(b, 28));
        AssertSpec(b, 312, 0, 2048, "linear", "7:0 0", 48);
        AssertSpec(b, 360, 2048, 4096, "snapshot", "7:1 7:2 P 8", 56);
        AssertSpec(b, 416, 6144, 8, "linear", "259:16 8", 56);
    }

    private static void AssertSpec(byte[] b, int at, ulong start, ulong length, string type, string parameters, uint next)
    {
        Assert.Equal(start, U64(b, at));
        Assert.Equal(length, U64(b, at + 8));
        Assert.Equal(0u, U32(b, at + 16));   // status
        Assert.Equal(next, U32(b, at + 20));
        Assert.Equal(type, CString(b, at + 24, 16));
        Assert.True(b.AsSpan(at + 24 + type.Length, 16 - type.Length).IndexOfAnyExcept((byte)0) < 0);
        Assert.Equal(parameters, CString(b, at + 40, (int)next - 40));
        Assert.True(b.AsSpan(at + 40 + parameters.Length, (int)next - 40 - parameters.Length).IndexOfAnyExcept((byte)0) < 0,
            "NUL and padding are zero");
        Assert.Equal(0, at % 8);
    }

    [Fact]
    public void ParametersFillingTheLastWordStillGetTheirNul()
    {
        var target = new DmTarget(0, 8, "linear", "7:10 000");   // 40 + 8 + 1 = 49: a whole word more
        Assert.Equal(56, DmRequest.SpecSize(target));
        var exact = new DmTarget(0, 8, "linear", "7:1 00");      // 40 + 6 + 1 = 47 -> 48
        Assert.Equal(48, DmRequest.SpecSize(exact));
    }

    [Fact]
    public void ReadOnlyTableLoadSetsReadOnlyFlag()
    {
        byte[] b = DmRequest.TableLoad(DmAbi.Legacy, DmLookup.ByName(Name), ThreeTargets, readOnly: true, 0);
        Assert.Equal(1u, U32(b, 28));
        Assert.Equal(4u, U32(b, 0));
    }

    [Fact]
    public void ListDevicesAsksForUuidsWithTheWholeBuffer()
    {
        byte[] b = DmRequest.ListDevices(DmAbi.Strict, 4096);
        Assert.Equal(4096, b.Length);
        Assert.Equal(4096u, U32(b, 12));
        Assert.Equal(312u, U32(b, 16));
        Assert.Equal(1u << 14, U32(b, 28));
    }

    [Fact]
    public void EveryStrictRequestPassesTheSeriesChecks()
    {
        var kernel = new FakeDmKernel();
        kernel.Add(Name, Uuid);
        ulong diskseq = kernel.Devices[0].Diskseq;
        var lookups = new[] { DmLookup.ByName(Name), DmLookup.ByUuid(Uuid), DmLookup.ByDevice(new DeviceNumber(FakeDmKernel.Major, 0)) };
        foreach (DmLookup lookup in lookups)
        {
            Assert.Equal(0, kernel.Ioctl(0xC138FD09, DmRequest.TableLoad(DmAbi.Strict, lookup, ThreeTargets, true, diskseq)));
            Assert.Equal(0, kernel.Ioctl(0xC138FD06, DmRequest.Resume(DmAbi.Strict, lookup, diskseq)));
            Assert.Equal(0, kernel.Ioctl(0xC138FD07, DmRequest.Status(DmAbi.Strict, lookup, diskseq)));
        }
        Assert.Equal(0, kernel.Ioctl(0xC138FD02, DmRequest.ListDevices(DmAbi.Strict, 4096)));
        Assert.Equal(0, kernel.Ioctl(0xC138FD03, DmRequest.Create(DmAbi.Strict, "other", "OTHER-1")));
        Assert.Equal(0, kernel.Ioctl(0xC138FD04, DmRequest.Remove(DmAbi.Strict, DmLookup.ByName("other"), true, 0)));
        Assert.Empty(kernel.Rejections);
        Assert.Equal(new[] { "0 2048 linear 7:0 0", "2048 4096 snapshot 7:1 7:2 P 8", "6144 8 linear 259:16 8" },
            kernel.Devices[0].ActiveTable);
    }

    [Fact]
    public void TheStrictModelRejectsWhatTheSeriesRejects()
    {
        // The checker above must be able to fail: corrupt valid requests one rule at a time.
        var kernel = new FakeDmKernel();
        kernel.Add(Name, Uuid);
        byte[] padding = DmRequest.Status(DmAbi.Strict, DmLookup.ByName(Name), 0);
        padding[306] = 1;
        byte[] eventNr = DmRequest.Resume(DmAbi.Strict, DmLookup.ByName(Name), 0);
        eventNr[32] = 1;
        byte[] size = DmRequest.Status(DmAbi.Strict, DmLookup.ByName(Name), 0).Concat(new byte[8]).ToArray();
        size[12] = 64;
        size[13] = 1;   // data_size 320 on a no-parameter ioctl
        byte[] flag = DmRequest.Status(DmAbi.Strict, DmLookup.ByName(Name), 0);
        flag[28] = 1;   // READONLY is not a DEV_STATUS flag
        byte[] table = DmRequest.TableLoad(DmAbi.Strict, DmLookup.ByName(Name), ThreeTargets, false, 0);
        table[312 + 40 + 6] = (byte)'x';   // junk in the first spec's padding
        foreach ((uint request, byte[] buffer) in new[] { (0xC138FD07u, padding), (0xC138FD06u, eventNr), (0xC138FD07u, size), (0xC138FD07u, flag), (0xC138FD09u, table) })
            Assert.Equal(FakeDmKernel.Errno.EINVAL, kernel.Ioctl(request, buffer));
        Assert.Equal(5, kernel.Rejections.Count);
    }
}
