using BlockDiskseq.DeviceMapper;
using BlockDiskseq.Devices;
using BlockDiskseq.Reporting;
using Xunit;

namespace BlockDiskseq.Tests.DeviceMapper;

public class DmDiskSpecTests
{
    [Fact]
    public void PersistentSnapshot()
    {
        var spec = Assert.IsType<SnapshotSpec>(DmDiskSpec.Parse("snapshot:origin=/images/base.img,cow=/var/lib/xen/vm1.cow"));
        Assert.Equal(new DiskTarget("/images/base.img"), spec.Origin);
        Assert.Equal(new DiskTarget("/var/lib/xen/vm1.cow"), spec.Cow);
        Assert.Equal(8u, spec.ChunkSectors);
        Assert.Equal("snap", spec.Layer);
    }

    [Fact]
    public void PersistentSnapshotWithChunkInAnyOrderAndDeviceNames()
    {
        var spec = Assert.IsType<SnapshotSpec>(DmDiskSpec.Parse("snapshot:chunk=128,cow=vg/vm1-cow,origin=/dev/sdb"));
        Assert.Equal(new DiskTarget("/dev/vg/vm1-cow"), spec.Cow);   // bare names mean /dev/NAME, as for plain params
        Assert.Equal(new DiskTarget("/dev/sdb"), spec.Origin);
        Assert.Equal(128u, spec.ChunkSectors);
    }

    [Fact]
    public void ThrowawaySnapshot()
    {
        var spec = Assert.IsType<ThrowawaySnapshotSpec>(DmDiskSpec.Parse("snapshot:origin=/images/base.img"));
        Assert.Null(spec.CowSizeBytes);
        spec = Assert.IsType<ThrowawaySnapshotSpec>(DmDiskSpec.Parse("snapshot:origin=/images/base.img,cow-size=1073741824"));
        Assert.Equal(1UL << 30, spec.CowSizeBytes);
    }

    [Fact]
    public void SliceWithValuesContainingEqualsAndSpaces()
    {
        var spec = Assert.IsType<SliceSpec>(DmDiskSpec.Parse("slice:path=/srv/a=b c.img,offset=0,sectors=2048"));
        Assert.Equal(new DiskTarget("/srv/a=b c.img"), spec.Path);
        Assert.Equal(0UL, spec.OffsetSectors);
        Assert.Equal(2048UL, spec.Sectors);
        Assert.Equal("slice", spec.Layer);
    }

    [Theory]
    [InlineData("snapshot:origin=/a", true)]
    [InlineData("slice:path=/a", true)]
    [InlineData("/images/snapshot:1.img", false)]
    [InlineData("Snapshot:origin=/a", false)]
    [InlineData("snapshot", false)]
    [InlineData("sdb", false)]
    public void DmFormsAreRecognisedByPrefix(string parameters, bool isDm)
    {
        Assert.Equal(isDm, DmDiskSpec.IsDmForm(parameters));
    }

    [Theory]
    [InlineData("snapshot:", "nothing follows the prefix")]
    [InlineData("snapshot:cow=/b", "origin= is missing")]
    [InlineData("snapshot:origin=/a,origin=/b", "origin= is given twice")]
    [InlineData("snapshot:origin=/a,cow=/b,cow-size=1048576", "cow-size= is for a throwaway snapshot")]
    [InlineData("snapshot:origin=/a,chunk=8", "chunk= needs cow=")]
    [InlineData("snapshot:origin=/a,cow=/b,chunk=12", "chunk=12 is not a power of two")]
    [InlineData("snapshot:origin=/a,cow=/b,chunk=4", "chunk=4 is not a power of two from 8 to 1024")]
    [InlineData("snapshot:origin=/a,cow=/b,chunk=2048", "chunk=2048 is not")]
    [InlineData("snapshot:origin=/a,cow=/b,chunk=08", "chunk=\"08\" is not a decimal number")]
    [InlineData("snapshot:origin=/a,cow=/b,chunk=+8", "chunk=\"+8\" is not a decimal number")]
    [InlineData("snapshot:origin=/a,cow=/b,chunk= 8", "chunk=\" 8\" is not a decimal number")]
    [InlineData("snapshot:origin=/a,cow=/a", "origin and cow are the same path")]
    [InlineData("snapshot:origin=/a,size=1", "unknown key \"size\"")]
    [InlineData("snapshot:origin=/a,", "empty item")]
    [InlineData("snapshot:,origin=/a", "empty item")]
    [InlineData("snapshot:origin", "\"origin\" is not KEY=VALUE")]
    [InlineData("snapshot:=/a", "\"=/a\" is not KEY=VALUE")]
    [InlineData("snapshot:origin=", "origin= is empty")]
    [InlineData("snapshot:origin=/a/../b", "origin=: params \"/a/../b\" has a \"..\" path component")]
    [InlineData("snapshot:origin=/a\n", "contains a control character")]
    [InlineData("snapshot:origin=/a,cow-size=0", "cow-size=0 is not a multiple of 4096 bytes of at least 1048576")]
    [InlineData("snapshot:origin=/a,cow-size=1048577", "cow-size=1048577 is not a multiple")]
    [InlineData("snapshot:origin=/a,cow-size=1G", "cow-size=\"1G\" is not a decimal number")]
    [InlineData("slice:path=/a,offset=0", "sectors= is missing")]
    [InlineData("slice:path=/a,offset=0,sectors=0", "sectors= must be at least 1")]
    [InlineData("slice:path=/a,offset=-1,sectors=8", "offset=\"-1\" is not a decimal number")]
    [InlineData("slice:path=/a,offset=18014398509481983,sectors=1", "offset + sectors exceeds 18014398509481983")]
    [InlineData("slice:path=/a,offset=0,sectors=99999999999999999999", "sectors=\"99999999999999999999\" is not a decimal number")]
    [InlineData("slice:path=/a,offset=0,sectors=8,cow=/b", "unknown key \"cow\" (known: path, offset, sectors)")]
    [InlineData("slice:offset=0,sectors=8", "path= is missing")]
    [InlineData("slice:PATH=/a,offset=0,sectors=8", "unknown key \"PATH\"")]
    public void BadFormsFailWithAClearReason(string parameters, string reason)
    {
        var e = Assert.Throws<HotplugFailure>(() => DmDiskSpec.Parse(parameters));
        Assert.Contains(reason, e.Message);
        Assert.StartsWith("params \"", e.Message);
        Assert.EndsWith("; the device-mapper forms are " + DmDiskSpec.Forms, e.Message);
        Assert.DoesNotContain('\n', FailureReport.Describe(e).Message);
        Assert.Equal(HotplugFailure.StatusError, e.Status);
    }

    [Fact]
    public void LargestSliceIsAccepted()
    {
        var spec = Assert.IsType<SliceSpec>(DmDiskSpec.Parse("slice:path=/a,offset=18014398509481982,sectors=1"));
        Assert.Equal(SliceSpec.MaxSectors, spec.OffsetSectors + spec.Sectors);
    }
}
