using System;
using System.Collections.Generic;
using BlockDiskseq.TestSupport;
using Xunit;

namespace BlockDiskseq.Tests.Integration;

/// <summary>
/// Issue 21, item 7: no message shows a .NET resource key. The published binary is built with
/// UseSystemResourceKeys, so a runtime exception's Message there is "IO_PathTooLong_Path, /sys/...".
/// </summary>
[Collection(LoopDeviceCollection.Name)]
public sealed class ErrorWordingTests : IDisposable
{
    /// <summary>"IO_PathTooLong_Path", "UnauthorizedAccess_IODenied_Path": what a resource key looks like.</summary>
    private const string ResourceKeyShape = @"\b[A-Z][A-Za-z]*_[A-Za-z_]+\b";

    private readonly HotplugHarness world = new();

    public void Dispose() => world.Dispose();

    /// <summary>
    /// A sysfs root with a component longer than NAME_MAX: every sysfs read fails with ENAMETOOLONG, as the
    /// backing_file of a loop device with a long path did. The failure says what, where and the errno.
    /// </summary>
    [IntegrationFact]
    public void ASysfsReadThatFailsIsToldInOurWords()
    {
        TestImage image = world.Image();
        TestBackend be = world.Backend(74, 51712, image.Path, "w", BlkbackFlavour.Mainline); // its wait reads sysfs
        Dictionary<string, string?> env = world.LibxlEnvironment(be);
        env["BLOCK_DISKSEQ_SYSFS"] = $"{world.Root}/{new string('s', 300)}";

        HotplugResult add = world.Run(["add"], env);

        Assert.True(add.ExitCode == 1, add.ToString());
        string error = be["hotplug-error"]!;
        Assert.Matches($@"^\S+ {world.Root}/s+/\S+: File name too long \(ENAMETOOLONG\)$", error);
        Assert.DoesNotMatch(ResourceKeyShape, error);
        Assert.DoesNotMatch(ResourceKeyShape, world.Logged(add));
        be.Blkback!.Shutdown(); // the emulator may have opened the device meanwhile: it goes at that last close
        Assert.Equal(0, HotplugHarness.LoopsLeft(image));
    }
}
