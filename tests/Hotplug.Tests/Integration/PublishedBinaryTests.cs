using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Xml.Linq;
using BlockDiskseq.TestSupport;
using Xunit;

namespace BlockDiskseq.Tests.Integration;

/// <summary>The shipped file itself: one ELF of at most 2 MiB, and what it says it is.</summary>
[Collection(LoopDeviceCollection.Name)]
public sealed class PublishedBinaryTests : System.IDisposable
{
    /// <summary>aot.props trades size for start-up (no dehydration); this keeps the trade inside the limit.</summary>
    private const long SizeLimit = 2 << 20;

    private readonly HotplugHarness world = new();

    public void Dispose() => world.Dispose();

    [IntegrationFact]
    public void IsOneElfOfAtMostTwoMebibytes()
    {
        byte[] head = new byte[4];
        using (FileStream binary = File.OpenRead(Requirements.Binary))
            binary.ReadExactly(head);

        Assert.Equal("\x7f" + "ELF", System.Text.Encoding.ASCII.GetString(head));
        Assert.InRange(new FileInfo(Requirements.Binary).Length, 1, SizeLimit);
    }

    [IntegrationFact]
    public void VersionIsTheProjectsVersion()
    {
        HotplugResult result = world.Run(["--version"], new Dictionary<string, string?>());

        Assert.True(result.ExitCode == 0, result.ToString());
        string expected = XDocument.Load(Path.Combine(Requirements.RepositoryRoot(), "hotplug", "Hotplug.csproj"))
            .Descendants("Version").Single().Value;
        Assert.Equal($"block-diskseq {expected}\n", result.Stdout);
    }
}
