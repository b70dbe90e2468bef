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
        using var loop = new AdminLoop(image.Path);
        Tools.Run("mkswap", loop.Path);
        Tools.Run("swapon", loop.Path);
        try
        {
            TestBackend be = world.Backend(170, 51712, loop.Path, mode);

            HotplugResult add = world.Run(be, "add");

            AssertBusy(add, be, $"(used as swap ({loop.Path}))");
        }
        finally
        {
            Tools.Run("swapoff", loop.Path);
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

            AssertBusy(add, be, "active swap file");
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
        // Detached below, once the mount is gone (a failed test leaves it to the harness, which detaches the image's loops).
        AdminLoop? loop = throughImage ? null : new AdminLoop(image.Path);
        string source = loop?.Path ?? $"-o loop {image.Path}";
        using (Process holder = StartInPrivateNamespace($"mount {source} {mountPoint} && echo mounted && exec sleep 600"))
        {
            try
            {
                Assert.Equal("mounted", holder.StandardOutput.ReadLine());
                TestBackend be = world.Backend(172, 51712, loop?.Path ?? image.Path, mode);

                HotplugResult add = world.Run(be, "add");

                AssertBusy(add, be, $"on {mountPoint} in the mount namespace of process ");
            }
            finally
            {
                holder.Kill(); // its namespace, and with it the mount, goes with its last process
                holder.WaitForExit();
            }
        }
        loop?.Dispose();
        Assert.Equal(0, HotplugHarness.LoopsLeft(image));
    }

    /// <summary>Refused as busy, naming the holder, with nothing exported.</summary>
    private static void AssertBusy(HotplugResult add, TestBackend be, string holder)
    {
        Assert.True(add.ExitCode == 1, add.ToString());
        Assert.Equal("busy", be["hotplug-status"]);
        Assert.Contains(holder, be["hotplug-error"]);
        Assert.Null(be["physical-device"]);
    }

    private static Process StartInPrivateNamespace(string script)
    {
        var start = new ProcessStartInfo("unshare") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in (string[])["--mount", "--propagation", "private", "sh", "-c", script])
            start.ArgumentList.Add(arg);
        return Process.Start(start) ?? throw new InvalidOperationException("could not start unshare");
    }
}
