using System.IO;
using BlockDiskseq.Devices;
using BlockDiskseq.Reporting;
using BlockDiskseq.TestSupport;
using Xunit;

namespace BlockDiskseq.Tests.Devices;

/// <summary>
/// The /dev/mapper/NAME re-check after opening. The real-device test needs no device-mapper (a symlink
/// under /dev/mapper to a loop device must be refused); the name comparison runs against a sysfs tree
/// of our own, since not every test kernel has dm (this one has no dm-mod).
/// </summary>
[Collection(LoopDeviceCollection.Name)]
public sealed class DeviceMapperNameTests
{
    private static readonly DeviceNumber Dm3 = new(253, 3);

    private static string FakeSysfs(LoopScratch scratch, string? dmName)
    {
        string root = Path.Combine(scratch.Dir, "sys");
        string device = Sysfs.DevBlock(root, Dm3);
        Directory.CreateDirectory(dmName is null ? device : Path.Combine(device, "dm"));
        if (dmName is not null)
            File.WriteAllText(Path.Combine(device, "dm", "name"), dmName);
        return root;
    }

    [Fact]
    public void AcceptsTheDeviceTheKernelCallsByThatName()
    {
        using var scratch = new LoopScratch();
        OpenedTarget.CheckDeviceMapperName("/dev/mapper/vg-lv", "vg-lv", Dm3, FakeSysfs(scratch, "vg-lv\n"));
    }

    [Theory]
    [InlineData("vg-other\n", "opened the wrong device-mapper device: /dev/mapper/vg-lv is fd:3, named \"vg-other\"")]
    [InlineData("vg-lv", "opened the wrong device-mapper device: /dev/mapper/vg-lv is fd:3, named \"vg-lv\"")]       // no newline: not what the kernel writes
    [InlineData("vg-lv\n\n", "opened the wrong device-mapper device: /dev/mapper/vg-lv is fd:3, named \"vg-lv\"")]
    [InlineData(null, "opened the wrong device-mapper device: /dev/mapper/vg-lv is fd:3, which is not a device-mapper device")]
    public void RefusesAnyOtherDevice(string? kernelName, string expected)
    {
        using var scratch = new LoopScratch();
        string root = FakeSysfs(scratch, kernelName);
        var e = Assert.Throws<HotplugFailure>(() => OpenedTarget.CheckDeviceMapperName("/dev/mapper/vg-lv", "vg-lv", Dm3, root));
        Assert.Equal(expected, e.Message);
    }

    [RootFact]
    public void RefusesAMapperPathLeadingToALoopDevice()
    {
        using var scratch = new LoopScratch();
        LoopDevice loop = scratch.Attach(scratch.CreateImage());
        bool createdMapperDir = !Directory.Exists("/dev/mapper");
        Directory.CreateDirectory("/dev/mapper");
        string link = $"/dev/mapper/block-diskseq-test-{System.Environment.ProcessId}";
        File.CreateSymbolicLink(link, loop.Path);
        try
        {
            var e = Assert.Throws<HotplugFailure>(() => OpenedTarget.Open(DiskTarget.Parse(link), AccessMode.Read));
            Assert.Equal($"opened the wrong device-mapper device: {link} is {loop.Device}, which is not a device-mapper device", e.Message);
        }
        finally
        {
            File.Delete(link);
            if (createdMapperDir && Directory.GetFileSystemEntries("/dev/mapper").Length == 0)
                Directory.Delete("/dev/mapper");   // only if empty: someone else may have started using it
        }
    }
}
