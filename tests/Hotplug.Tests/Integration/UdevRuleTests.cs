using System;
using System.IO;
using System.Linq;
using BlockDiskseq.TestSupport;
using Xunit;

namespace BlockDiskseq.Tests.Integration;

/// <summary>A Fact that needs the integration requirements and Debian's udev (udevadm and its stock rules).</summary>
public sealed class UdevFactAttribute : FactAttribute
{
    public UdevFactAttribute()
    {
        if (Requirements.MissingReason is string reason)
            Skip = reason;
        else if (!Tools.Exists("udevadm") || !File.Exists("/usr/lib/udev/rules.d/60-persistent-storage.rules") || !Tools.Exists("unshare"))
            Skip = "needs udev (udevadm, /usr/lib/udev/rules.d/60-persistent-storage.rules) and unshare: ./install.sh --deps-only installs them";
    }
}

/// <summary>
/// The shipped rule (udev/11-block-diskseq.rules; a copy installed on the host is hidden, found when ./run-tests
/// followed ./demo, as the README has them) with Debian's own rules, run by Debian's udevadm on the
/// loop device the published binary bound. `udevadm test` runs every rule file as udevd would (builtins such as
/// blkid included) and writes the udev database and /dev links, so it runs in a private mount namespace with
/// its own /run, /dev and /etc/udev/rules.d: nothing of the host's changes. The add's run directory is mounted
/// as /run/block-diskseq there, where the rule looks for the marker.
/// </summary>
[Collection(LoopDeviceCollection.Name)]
public sealed class UdevRuleTests : IDisposable
{
    private static readonly string Rule = Path.Combine(Requirements.RepositoryRoot(), "udev", "11-block-diskseq.rules");
    private readonly HotplugHarness world = new();

    public void Dispose() => world.Dispose();

    [UdevFact]
    public void UdevProbesNothingOnTheLoopDeviceOfAnImage()
    {
        TestImage image = world.Image(size: 16 << 20);
        Tools.Run("mkfs.ext2", "-q", "-F", image.Path);
        TestBackend be = world.Backend(80, 51712, image.Path);
        world.Succeed(be, "add");
        string loop = Path.GetFileName(be["node"]!);

        // The control: without the rule udev's blkid finds the guest's filesystem and links it.
        string[] exposed = UdevadmTest(rule: null, loop);
        Assert.Contains("ID_FS_TYPE=ext2", exposed);
        Assert.Contains(exposed, l => l.StartsWith("DEVLINKS=", StringComparison.Ordinal) && l.Contains("/dev/disk/by-uuid/"));

        string[] hidden = UdevadmTest(Rule, loop);
        Assert.DoesNotContain(hidden, l => l.StartsWith("ID_FS_", StringComparison.Ordinal));
        Assert.DoesNotContain(hidden, l => l.StartsWith("DEVLINKS=", StringComparison.Ordinal) && l.Contains("/dev/disk/"));
        foreach (string set in new[] { "UDEV_DISABLE_PERSISTENT_STORAGE_RULES_FLAG=1", "DM_UDEV_DISABLE_SUBSYSTEM_RULES_FLAG=1",
                     "DM_UDEV_DISABLE_DISK_RULES_FLAG=1", "DM_UDEV_DISABLE_OTHER_RULES_FLAG=1", "SYSTEMD_READY=0", "UDISKS_IGNORE=1" })
            Assert.Contains(set, hidden);

        be.Blkback!.Shutdown();
        world.Succeed(be, "remove");
    }

    [UdevFact]
    public void AnAdminsOwnLoopDeviceIsLeftToUdev()
    {
        TestImage image = world.Image(size: 16 << 20);
        Tools.Run("mkfs.ext2", "-q", "-F", image.Path);
        string device = Tools.Run("losetup", "-f", "--show", image.Path).Trim();
        try
        {
            TestBackend be = world.Backend(81, 51712, device);
            world.Succeed(be, "add");

            string[] properties = UdevadmTest(Rule, Path.GetFileName(device));

            Assert.Contains("ID_FS_TYPE=ext2", properties);
            Assert.DoesNotContain("UDEV_DISABLE_PERSISTENT_STORAGE_RULES_FLAG=1", properties);
            be.Blkback!.Shutdown();
            world.Succeed(be, "remove");
        }
        finally
        {
            Tools.Run("losetup", "-d", device);
        }
    }

    /// <summary>The properties `udevadm test --action=change` gives the device, with the rule added to the stock ones (or not).</summary>
    private string[] UdevadmTest(string? rule, string device)
    {
        string scratch = Directory.CreateTempSubdirectory("block-diskseq-udev-").FullName;
        try
        {
            const string Script = """
                set -e
                rule=$1 rundir=$2 dev=$3 tmp=$4
                mount --make-rprivate /
                # A copy installed on this host (./demo runs install.sh) would be read as a stock rule: hide it.
                for installed in /usr/lib/udev/rules.d /usr/local/lib/udev/rules.d; do
                    if [ -e "$installed/11-block-diskseq.rules" ]; then mount --bind /dev/null "$installed/11-block-diskseq.rules"; fi
                done
                mkdir "$tmp/run"
                mount --bind "$rundir" "$tmp/run"
                cp -a "/dev/$dev" /dev/null "$tmp/"
                mount -t tmpfs tmpfs /dev
                cp -a "$tmp/$dev" "$tmp/null" /dev/
                mount -t tmpfs tmpfs /run
                mkdir -p /run/udev /run/block-diskseq
                mount --bind "$tmp/run" /run/block-diskseq
                mkdir -p /etc/udev/rules.d
                mount -t tmpfs tmpfs /etc/udev/rules.d
                if [ -n "$rule" ]; then cp "$rule" /etc/udev/rules.d/; fi
                exec udevadm test --action=change "/sys/block/$dev" 2>/dev/null
                """;
            string output = Tools.Run("unshare", "-m", "bash", "-c", Script, "udevadm-test", rule ?? "", world.RunDir, device, scratch);
            return output.Split('\n');
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }
}
