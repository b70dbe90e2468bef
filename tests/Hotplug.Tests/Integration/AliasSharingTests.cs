using System;
using System.IO;
using System.Linq;
using BlockDiskseq.Devices;
using BlockDiskseq.TestSupport;
using Xunit;

namespace BlockDiskseq.Tests.Integration;

/// <summary>
/// Issue 21, items 1, 2, 3, 6 and 7: the sharing rules must see one piece of data however it is reached: a disk
/// and its partition, a loop device an admin bound to a guest's image, an image whose path was covered, a loop
/// device stacked on the target. Each rule is tried one add after the other and with both adds started at the
/// same moment (then exactly one may win).
/// </summary>
[Collection(LoopDeviceCollection.Name)]
public sealed class AliasSharingTests : IDisposable
{
    private const int Rounds = 6;
    private readonly HotplugHarness world = new();

    public void Dispose() => world.Dispose();

    [IntegrationFact]
    public void ADiskAndItsPartitionAddedTogetherGiveOneGuestTheSectors()
    {
        using var disk = new PartitionedDisk(world.Image("partitioned.img", 16 << 20).Path);
        for (int round = 0; round < Rounds; round++)
        {
            TestBackend whole = world.Backend((uint)(100 + 2 * round), 51712, disk.Path);
            TestBackend part = world.Backend((uint)(101 + 2 * round), 51712, disk.PartitionPath(1));

            (TestBackend winner, TestBackend loser) = OneWins(whole, part);

            Assert.Contains($"is mounted in a guest domain (domain {winner.FrontendId}", loser["hotplug-error"]);
            CleanUp(winner, loser);
        }
    }

    [IntegrationTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void ALoopDeviceBoundToAGuestsImageIsThatImage(bool together)
    {
        TestImage image = world.Image();
        using var loop = new AdminLoop(image.Path);
        for (int round = 0; round < (together ? Rounds : 1); round++)
        {
            TestBackend byFile = world.Backend((uint)(120 + 2 * round), 51712, image.Path);
            TestBackend byLoop = world.Backend((uint)(121 + 2 * round), 51712, loop.Path);
            if (together)
            {
                (TestBackend winner, TestBackend loser) = OneWins(byFile, byLoop);
                CleanUp(winner, loser);
                continue;
            }
            world.Succeed(byFile, "add");
            HotplugResult add = world.Run(byLoop, "add");
            Assert.True(add.ExitCode == 1, add.ToString());
            Assert.Equal("busy", byLoop["hotplug-status"]);
            Assert.Contains($"is mounted in a guest domain (domain {byFile.FrontendId}", byLoop["hotplug-error"]);
            Assert.Null(byLoop["physical-device"]);
            CleanUp(byFile, byLoop);
        }
    }

    /// <summary>The image is reached through a bind mount after the path guest 1 used was covered or lazily unmounted.</summary>
    [IntegrationTheory]
    [InlineData("covered")]
    [InlineData("lazily unmounted")]
    [InlineData("together")]
    public void AnImageIsFoundByItsInodeWhenItsPathIsGone(string how)
    {
        string first = Directory.CreateDirectory(Path.Combine(world.Root, "first")).FullName;
        string second = Directory.CreateDirectory(Path.Combine(world.Root, "second")).FullName;
        Tools.Run("mount", "-t", "tmpfs", "-o", "size=16m", "images", first);
        int mountsOnFirst = 1;
        try
        {
            Tools.Run("mount", "--bind", first, second);
            try
            {
                TestImage image = TestImage.Create(Path.Combine(first, "disk.img"), 4 << 20);
                TestBackend guest1 = world.Backend(130, 51712, image.Path);
                TestBackend guest2 = world.Backend(131, 51712, Path.Combine(second, "disk.img"));
                if (how == "together")
                {
                    (TestBackend winner, TestBackend loser) = OneWins(guest1, guest2);
                    CleanUp(winner, loser);
                    return;
                }
                world.Succeed(guest1, "add");
                if (how == "covered")
                {
                    Tools.Run("mount", "-t", "tmpfs", "-o", "size=1m", "cover", first);
                    mountsOnFirst++;
                }
                else
                {
                    Tools.Run("umount", "--lazy", first);
                    mountsOnFirst--;
                }

                HotplugResult add = world.Run(guest2, "add");

                Assert.True(add.ExitCode == 1, add.ToString());
                Assert.Equal("busy", guest2["hotplug-status"]);
                Assert.Contains($"is mounted in a guest domain (domain {guest1.FrontendId}", guest2["hotplug-error"]);
                CleanUp(guest1, guest2);
                Assert.Equal(0, HotplugHarness.LoopsLeft(image));
            }
            finally
            {
                Tools.Run("umount", "--lazy", second); // lazily: a failed test may leave a loop device on it for a moment
            }
        }
        finally
        {
            for (; mountsOnFirst > 0; mountsOnFirst--)
                Tools.Run("umount", "--lazy", first);
        }
    }

    /// <summary>A loop device bound to the target device writes to it (item 6): refused for w, and for r unless it is read-only.</summary>
    [IntegrationTheory]
    [InlineData("w", false, "busy")]
    [InlineData("r", false, "busy")]
    [InlineData("r", true, null)]
    public void ALoopDeviceStackedOnTheTargetIsAUser(string mode, bool stackedReadOnly, string? status)
    {
        TestImage image = world.Image();
        using var outer = new AdminLoop(image.Path);
        using var inner = new AdminLoop(outer.Path, stackedReadOnly);
        TestBackend be = world.Backend(140, 51712, outer.Path, mode);

        HotplugResult add = world.Run(be, "add");

        if (status is null)
        {
            Assert.True(add.ExitCode == 0, add.ToString());
            be.Blkback!.Shutdown();
            world.Succeed(be, "remove");
            return;
        }
        Assert.True(add.ExitCode == 1, add.ToString());
        Assert.Equal(status, be["hotplug-status"]);
        Assert.Contains($"(loop device {Path.GetFileName(inner.Path)} is bound to it)", be["hotplug-error"]);
        Assert.Null(be["physical-device"]);
    }

    /// <summary>Guest 1 takes the stacked loop device, guest 2 the device under it, at the same moment: one wins.</summary>
    [IntegrationFact]
    public void ALoopDeviceAndTheDeviceUnderItAddedTogether()
    {
        TestImage image = world.Image();
        using var outer = new AdminLoop(image.Path);
        using var inner = new AdminLoop(outer.Path);
        for (int round = 0; round < Rounds; round++)
        {
            TestBackend top = world.Backend((uint)(150 + 2 * round), 51712, inner.Path);
            TestBackend under = world.Backend((uint)(151 + 2 * round), 51712, outer.Path);
            (TestBackend winner, TestBackend loser) = OneWins(top, under);
            Assert.Same(top, winner); // the device under a bound loop device is never free
            CleanUp(winner, loser);
        }
    }

    /// <summary>
    /// Item 7: someone else's loop device whose backing path is longer than a page (its sysfs backing_file read
    /// fails with ENAMETOOLONG) must not break an add of an unrelated image.
    /// </summary>
    [IntegrationFact]
    public void AForeignLoopDeviceWithALongBackingPathBreaksNothing()
    {
        string deep = Directory.CreateDirectory(Path.Combine(world.Root, "deep")).FullName;
        // Built with relative chdirs: the whole path (over 5,000 bytes) is longer than PATH_MAX, which a shell's cd refuses.
        const string Script = "import os, subprocess, sys\n"
            + "os.chdir(sys.argv[1])\n"
            + "for _ in range(20):\n    os.mkdir('d' * 250)\n    os.chdir('d' * 250)\n"
            + "open('img', 'wb').truncate(1 << 20)\n"
            + "print(subprocess.check_output(['losetup', '--find', '--show', 'img'], text=True).strip())\n";
        string foreign;
        try
        {
            foreign = Tools.Run("python3", "-c", Script, deep).Trim();
        }
        catch
        {
            Tools.Run("rm", "-rf", deep);
            throw;
        }
        try
        {
            TestImage image = world.Image();
            TestBackend be = world.Backend(160, 51712, image.Path);

            HotplugResult add = world.Run(be, "add");

            Assert.True(add.ExitCode == 0, add.ToString());
            Assert.DoesNotContain("IO_", world.Logged(add));
            be.Blkback!.Shutdown();
            world.Succeed(be, "remove");
        }
        finally
        {
            Tools.Run("losetup", "--detach", foreign);
            Tools.Run("rm", "-rf", deep); // .NET's recursive delete builds full paths, too long here
        }
    }

    /// <summary>Both adds started at the same moment: exactly one exports, the other is busy and wrote nothing.</summary>
    private (TestBackend Winner, TestBackend Loser) OneWins(TestBackend a, TestBackend b)
    {
        (HotplugResult ra, HotplugResult rb) = world.AddTogether(a, b);
        Assert.True((ra.ExitCode, rb.ExitCode) is (0, 1) or (1, 0), $"both adds ended alike:\n{ra}\n{rb}");
        (TestBackend winner, TestBackend loser) = ra.ExitCode == 0 ? (a, b) : (b, a);
        Assert.Equal("busy", loser["hotplug-status"]);
        Assert.Null(loser["physical-device"]);
        return (winner, loser);
    }

    private void CleanUp(TestBackend winner, TestBackend loser)
    {
        winner.Blkback!.Shutdown();
        world.Succeed(winner, "remove");
        world.Succeed(loser, "remove");
    }
}
