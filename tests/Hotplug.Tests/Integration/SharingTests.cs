using System;
using System.IO;
using BlockDiskseq.Devices;
using BlockDiskseq.Sharing;
using BlockDiskseq.TestSupport;
using BlockDiskseq.Tests.DeviceMapper;
using Xunit;

namespace BlockDiskseq.Tests.Integration;

/// <summary>Xen's sharing checks (docs/protocol-facts.md §4), with per-image locking instead of one global lock.</summary>
[Collection(LoopDeviceCollection.Name)]
public sealed class SharingTests : IDisposable
{
    private readonly HotplugHarness world = new();

    public void Dispose() => world.Dispose();

    [IntegrationFact]
    public void ParallelWritableAddsOfOneImageToTwoDomainsGiveOneSuccessAndOneBusy()
    {
        const int Rounds = 3;
        TestImage image = world.Image();
        for (int round = 0; round < Rounds; round++)
        {
            TestBackend first = world.Backend((uint)(30 + 2 * round), 51712, image.Path);
            TestBackend second = world.Backend((uint)(31 + 2 * round), 51712, image.Path);
            (HotplugResult ra, HotplugResult rb) = world.AddTogether(first, second);

            Assert.True((ra.ExitCode, rb.ExitCode) is (0, 1) or (1, 0), $"{ra}\n{rb}");
            (TestBackend winner, TestBackend loser) = ra.ExitCode == 0 ? (first, second) : (second, first);
            Assert.Equal("busy", loser["hotplug-status"]);
            Assert.Contains($"is mounted in a guest domain (domain {winner.FrontendId}", loser["hotplug-error"]);
            Assert.Null(loser["physical-device"]);
            Assert.Equal(1, image.BoundLoops);

            winner.Blkback!.Shutdown();
            world.Succeed(winner, "remove");
            world.Succeed(loser, "remove");
            Assert.Equal(0, HotplugHarness.LoopsLeft(image));
        }
    }

    [IntegrationTheory]
    [InlineData("w", "r", "is mounted read-write in a guest domain (domain 40, backend/vbd/40/51712), and so cannot be mounted read-only now.")]
    [InlineData("r", "w", "is mounted in a guest domain (domain 40, backend/vbd/40/51712), and so cannot be mounted now.")]
    [InlineData("w", "w", "is mounted in a guest domain (domain 40, backend/vbd/40/51712), and so cannot be mounted now.")]
    public void ConflictingUseByAnotherDomainIsBusy(string firstMode, string secondMode, string error)
    {
        TestImage image = world.Image();
        TestBackend first = world.Backend(40, 51712, image.Path, firstMode);
        world.Succeed(first, "add");
        TestBackend second = world.Backend(41, 51712, image.Path, secondMode);

        HotplugResult add = world.Run(second, "add");

        Assert.True(add.ExitCode == 1, add.ToString());
        Assert.Equal($"File {image.Path} is loopback-mounted through {first["physical-device"]}, which {error}", second["hotplug-error"]);
        Assert.Equal("busy", second["hotplug-status"]);
        Assert.Equal(1, image.BoundLoops);
    }

    [IntegrationTheory]
    [InlineData("r", "r", null)]                 // readers share
    [InlineData("w", "w!", null)]                // w! skips the checks
    [InlineData("w", "w", "stub domain")]        // a stub domain serves the same guest (its target)
    [InlineData("w", "w", "same vm")]            // another domain of the same VM (Xen's same_vm)
    [InlineData("w", "r", "vm gone")]            // the other domain's vm node is gone: counted as the same VM
    public void AllowedSharing(string firstMode, string secondMode, string? relation)
    {
        TestImage image = world.Image();
        TestBackend first = world.Backend(42, 51712, image.Path, firstMode);
        world.Succeed(first, "add");
        TestBackend second = world.Backend(43, 51712, image.Path, secondMode, vm: relation == "same vm" ? "/vm/00000000-0000-0000-0000-000000000042" : null);
        if (relation == "stub domain")
            world.Server.Write("/local/domain/43/target", "42");
        if (relation == "vm gone")
            world.Server.Remove("/local/domain/42/vm");

        HotplugResult add = world.Run(second, "add");

        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.Equal(2, image.BoundLoops);
        first.Blkback!.Shutdown();
        second.Blkback!.Shutdown();
        Assert.Equal(0, HotplugHarness.LoopsLeft(image));
    }

    [IntegrationFact]
    public void GoldenImageIsNotWritable()
    {
        TestImage image = world.Image();
        File.SetUnixFileMode(image.Path, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        TestBackend writer = world.Backend(44, 51712, image.Path, "w");
        TestBackend reader = world.Backend(45, 51712, image.Path, "r");

        HotplugResult write = world.Run(writer, "add");
        HotplugResult read = world.Run(reader, "add");

        Assert.True(write.ExitCode == 1, write.ToString());
        Assert.Equal($"File {image.Path} is read-only, and so I will not mount it read-write in a guest domain.", writer["hotplug-error"]);
        Assert.Equal("busy", writer["hotplug-status"]);
        Assert.True(read.ExitCode == 0, read.ToString());
        reader.Blkback!.Shutdown();
        Assert.Equal(0, HotplugHarness.LoopsLeft(image));
    }

    [IntegrationTheory]
    [InlineData("rw", "w", true, "is mounted in the privileged domain (on ")]
    [InlineData("rw", "r", true, "is mounted read-write in the privileged domain (on ")]
    [InlineData("ro", "w", true, "is mounted in the privileged domain (on ")]
    [InlineData("ro", "r", false, null)]
    [InlineData("rw", "w", false, "is mounted in the privileged domain (on ")]
    [InlineData("rw", "w!", false, null)]
    public void MountedInThisDomain(string mountMode, string mode, bool viaFile, string? error)
    {
        Assert.True(Tools.Exists("mkfs.ext2"), "mkfs.ext2 (e2fsprogs) is needed: install.sh installs it");
        TestImage image = world.Image("fs.img", 8 << 20);
        Tools.Run("mkfs.ext2", "-q", "-F", image.Path);
        string mountPoint = Directory.CreateDirectory(Path.Combine(world.Root, "mnt")).FullName;
        // mount's own loop device (autoclear: umount detaches it), so the test attaches nothing itself.
        Tools.Run("mount", "-o", $"loop,{mountMode}", image.Path, mountPoint);
        try
        {
            DeviceNumber loop = Assert.Single(LocalUsage.LoopsBackedBy(image.StDev, image.StIno));
            string loopPath = $"/dev/loop{loop.Minor}";
            TestBackend be = world.Backend(46, 51712, viaFile ? image.Path : loopPath, mode);

            HotplugResult add = world.Run(be, "add");

            if (error is null)
            {
                Assert.True(add.ExitCode == 0, add.ToString());
                be.Blkback!.Shutdown();
                world.Succeed(be, "remove");
            }
            else
            {
                Assert.True(add.ExitCode == 1, add.ToString());
                string subject = viaFile ? $"File {image.Path} is loopback-mounted through {loop}, which " : $"Device {loopPath} ({loop}) ";
                Assert.StartsWith(subject + error + mountPoint + ")", be["hotplug-error"]);
                Assert.Equal("busy", be["hotplug-status"]);
            }
        }
        finally
        {
            Tools.Run("umount", mountPoint);
        }
        Assert.Equal(0, HotplugHarness.LoopsLeft(image));
    }

    /// <summary>
    /// Another add between its transaction and blkback's open: its physical-device is in Xenstore, its vbd is on
    /// the xen-backend bus without a physical_device attribute. Sysfs alone would miss it; BackendClaims reads
    /// that backend's physical-device (docs/design.md, "Who uses a device: sysfs first, Xenstore for the rest").
    /// </summary>
    [IntegrationFact]
    public void ABackendBlkbackHasNotOpenedYetStillCounts()
    {
        TestImage image = world.Image();
        string loopPath = Tools.Run("losetup", "-f", "--show", image.Path).Trim();
        try
        {
            DeviceNumber device = LoopScratch.StatusOf(loopPath).RDev;
            TestBackend first = world.Backend(47, 51712, loopPath, blkback: null); // probed, never opened
            first.Write("physical-device", device.ToString());
            Assert.False(File.Exists(Path.Combine(world.SysfsRoot, "bus", "xen-backend", "devices", "vbd-47-51712", "physical_device")));
            TestBackend second = world.Backend(48, 51712, loopPath);

            HotplugResult add = world.Run(second, "add");

            Assert.True(add.ExitCode == 1, add.ToString());
            Assert.Equal($"Device {loopPath} ({device}) is mounted in a guest domain (domain 47, backend/vbd/47/51712), "
                + "and so cannot be mounted now.", second["hotplug-error"]);
            Assert.Equal("busy", second["hotplug-status"]);
        }
        finally
        {
            Tools.Run("losetup", "-d", loopPath);
        }
    }

    /// <summary>Without a xen-backend bus in sysfs, every backend's physical-device is read from Xenstore, as Xen's script does.</summary>
    [IntegrationFact]
    public void WithoutTheXenBackendBusEveryBackendIsReadFromXenstore()
    {
        TestImage image = world.Image();
        TestBackend first = world.Backend(49, 51712, image.Path);
        world.Succeed(first, "add");
        TestBackend second = world.Backend(50, 51712, image.Path);
        string noBus = Directory.CreateTempSubdirectory("no-xen-backend-bus-").FullName;
        try
        {
            var environment = world.LibxlEnvironment(second);
            // The real sysfs entries with an empty bus/: no xen-backend bus, as in a domain without blkback loaded.
            environment["BLOCK_DISKSEQ_SYSFS"] = TestHost.SysfsTree(Path.Combine(noBus, "sysfs"));

            HotplugResult add = world.Run(["add"], environment);

            Assert.True(add.ExitCode == 1, add.ToString());
            Assert.Contains("is mounted in a guest domain (domain 49, backend/vbd/49/51712)", second["hotplug-error"]);
        }
        finally
        {
            Directory.Delete(noBus, recursive: true);
        }
        first.Blkback!.Shutdown();
        world.Succeed(first, "remove");
        Assert.Equal(0, HotplugHarness.LoopsLeft(image));
    }

    /// <summary>
    /// Issue 16: the sharing checks cost no more Xenstore requests with 200 other backends whose devices blkback
    /// holds (their vbds on the xen-backend bus, as the kernel shows them) than with none, and both adds are right.
    /// </summary>
    [IntegrationFact]
    public void OtherBackendsThatBlkbackHoldsCostNoXenstoreRequests()
    {
        using var crowdedWorld = new HotplugHarness();
        const int Others = 200;
        for (uint i = 0; i < Others; i++)
        {
            // Devices 8:N (sd*): none is ours; each other backend as libxl, its script and blkback leave it.
            string other = $"/local/domain/0/backend/vbd/{1000 + i}/51712";
            crowdedWorld.Server.Write($"{other}/physical-device", $"8:{i:x}");
            crowdedWorld.Server.Write($"{other}/mode", "w");
            crowdedWorld.Server.Write($"{other}/state", "4");
            string vbd = Directory.CreateDirectory(Path.Combine(crowdedWorld.SysfsRoot, "bus", "xen-backend", "devices", $"vbd-{1000 + i}-51712")).FullName;
            File.WriteAllText(Path.Combine(vbd, "physical_device"), $"8:{i:x}\n");
        }
        long requestsAlone = RequestsOfOneAdd(world);
        long requestsAmong = RequestsOfOneAdd(crowdedWorld);

        Assert.Equal(requestsAlone, requestsAmong); // reading every backend's physical-device cost 200 more
    }

    /// <summary>One add (and its remove) of a new image; the add's requests. --no-wait: the wait's reads depend on when blkback answers.</summary>
    private static long RequestsOfOneAdd(HotplugHarness host)
    {
        TestImage image = host.Image();
        TestBackend be = host.Backend(51, 51712, image.Path);
        long before = host.Server.RequestCount;
        host.Succeed(be, "add", "--no-wait");
        long requests = host.Server.RequestCount - before;
        Assert.NotNull(be["physical-device"]);
        be.Blkback!.Shutdown();
        host.Succeed(be, "remove");
        Assert.Equal(0, HotplugHarness.LoopsLeft(image));
        return requests;
    }
}
