using System;
using System.Diagnostics;
using System.IO;
using System.Threading;
using BlockDiskseq.TestSupport;
using Xunit;

namespace BlockDiskseq.Tests.Integration;

/// <summary>
/// Issue 21, item 5: a device the kernel has claimed exclusively (active swap, a filesystem mounted in another
/// mount namespace, an image whose loop device is mounted there) is refused, with the holder named.
/// </summary>
[Collection(LoopDeviceCollection.Name)]
public sealed class ExclusiveClaimTests : IDisposable
{
    private readonly HotplugHarness world = new();

    public void Dispose() => world.Dispose();

    [IntegrationTheory]
    [InlineData("w")]
    [InlineData("r")] // swap writes
    public void ActiveSwapIsRefused(string mode)
    {
        TestImage image = world.Image("swap.img", 16 << 20);
        string loop = Tools.Run("losetup", "--find", "--show", image.Path).Trim();
        try
        {
            Tools.Run("mkswap", loop);
            Tools.Run("swapon", loop);
            try
            {
                TestBackend be = world.Backend(170, 51712, loop, mode);

                HotplugResult add = world.Run(be, "add");

                Assert.True(add.ExitCode == 1, add.ToString());
                Assert.Equal("busy", be["hotplug-status"]);
                Assert.Contains($"(used as swap ({loop}))", be["hotplug-error"]);
                Assert.Null(be["physical-device"]);
            }
            finally
            {
                Tools.Run("swapoff", loop);
            }
        }
        finally
        {
            Tools.Run("losetup", "--detach", loop);
        }
    }

    [IntegrationTheory]
    [InlineData("w")]
    [InlineData("r")]
    public void AnActiveSwapFileIsRefused(string mode)
    {
        TestImage image = world.Image("swapfile.img", 0);
        Tools.Run("dd", "if=/dev/zero", $"of={image.Path}", "bs=1M", "count=16", "status=none"); // swapon refuses holes
        File.SetUnixFileMode(image.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Tools.Run("mkswap", image.Path);
        Tools.Run("swapon", image.Path);
        try
        {
            TestBackend be = world.Backend(171, 51712, image.Path, mode);

            HotplugResult add = world.Run(be, "add");

            Assert.True(add.ExitCode == 1, add.ToString());
            Assert.Equal("busy", be["hotplug-status"]);
            Assert.Contains("active swap file", be["hotplug-error"]);
            Assert.Equal(0, image.BoundLoops);
        }
        finally
        {
            Tools.Run("swapoff", image.Path);
        }
    }

    /// <summary>Mounted only inside a private mount namespace (a container, a service with PrivateMounts=): our mountinfo shows nothing.</summary>
    [IntegrationTheory]
    [InlineData("w", false)]
    [InlineData("r", false)]
    [InlineData("w", true)]  // the image file itself, whose loop device is mounted in the namespace
    public void AMountInAnotherNamespaceIsRefused(string mode, bool throughImage)
    {
        Assert.True(Tools.Exists("mkfs.ext2"), "mkfs.ext2 (e2fsprogs) is needed: install.sh installs it");
        TestImage image = world.Image("fs.img", 8 << 20);
        Tools.Run("mkfs.ext2", "-q", "-F", image.Path);
        string mountPoint = Directory.CreateDirectory(Path.Combine(world.Root, "private")).FullName;
        string? loop = throughImage ? null : Tools.Run("losetup", "--find", "--show", image.Path).Trim();
        string source = throughImage ? $"-o loop {image.Path}" : loop!;
        using Process holder = StartInPrivateNamespace($"mount {source} {mountPoint} && echo mounted && exec sleep 600");
        try
        {
            Assert.Equal("mounted", holder.StandardOutput.ReadLine());
            TestBackend be = world.Backend(172, 51712, throughImage ? image.Path : loop!, mode);

            HotplugResult add = world.Run(be, "add");

            Assert.True(add.ExitCode == 1, add.ToString());
            Assert.Equal("busy", be["hotplug-status"]);
            Assert.Contains($"on {mountPoint} in the mount namespace of process ", be["hotplug-error"]);
            Assert.Null(be["physical-device"]);
        }
        finally
        {
            holder.Kill(); // its namespace, and with it the mount, goes with its last process
            holder.WaitForExit();
            if (loop is not null)
                Tools.Run("losetup", "--detach", loop);
        }
        Assert.Equal(0, HotplugHarness.LoopsLeft(image));
    }

    private static Process StartInPrivateNamespace(string script)
    {
        var start = new ProcessStartInfo("unshare") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in (string[])["--mount", "--propagation", "private", "sh", "-c", script])
            start.ArgumentList.Add(arg);
        return Process.Start(start) ?? throw new InvalidOperationException("could not start unshare");
    }
}
