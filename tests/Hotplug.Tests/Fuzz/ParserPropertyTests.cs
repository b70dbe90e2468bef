using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using BlockDiskseq.Backend;
using BlockDiskseq.DeviceMapper;
using BlockDiskseq.Devices;
using BlockDiskseq.Reporting;
using BlockDiskseq.Sharing;
using BlockDiskseq.Fuzz;
using CsCheck;
using Xunit;

namespace BlockDiskseq.Tests.Fuzz;

/// <summary>
/// Property tests (CsCheck) for every parser: values the program writes survive their round trip, and any
/// text, near-miss or random, is either refused the documented way or parsed into something that formats
/// back. ParserTarget holds the refuse-or-round-trip checks shared with the afl harness (tests/fuzz).
/// </summary>
public class ParserPropertyTests
{
    private const long Iterations = 20_000;

    /// <summary>Characters the parsers care about, plus a few they must refuse; mixed with anything at all.</summary>
    private static Gen<string> TextFrom(string alphabet, int maxLength = 40)
        => Gen.Frequency((4, Gen.String[Gen.Char[alphabet], 0, maxLength]), (1, Gen.String));

    private static void EveryInputIsRefusedOrRoundTrips(string parser, Gen<string> text)
    {
        int index = Array.FindIndex(ParserTarget.Parsers, p => p.Name == parser);
        Assert.True(index >= 0, parser);
        text.Sample(t => ParserTarget.Parsers[index].Check(Encoding.UTF8.GetBytes(t)), iter: Iterations);
    }

    private static readonly Gen<DeviceNumber> Devices
        = Gen.Select(Gen.UInt[0, DeviceNumber.MaxMajor], Gen.UInt[0, DeviceNumber.MaxMinor], (major, minor) => new DeviceNumber(major, minor));

    private static readonly Gen<ulong> Diskseqs = Gen.ULong.Where(d => d != 0);

    [Fact]
    public void DeviceNumbersRoundTrip()
        => Devices.Sample(d => Assert.True(DeviceNumber.TryParse(d.ToString(), out DeviceNumber back) && back == d, d.ToString()), iter: Iterations);

    [Fact]
    public void DeviceNumberTextIsRefusedOrCanonical()
        => EveryInputIsRefusedOrRoundTrips("device-number", TextFrom("0123456789abcdefABCDEFx: \n-+", 14));

    [Fact]
    public void DiskseqsRoundTrip()
        => Diskseqs.Sample(d => Assert.True(DiskSequence.TryParse(DiskSequence.Format(d), out ulong back) && back == d), iter: Iterations);

    [Fact]
    public void DiskseqTextIsRefusedOrCanonical()
        => EveryInputIsRefusedOrRoundTrips("diskseq", TextFrom("0123456789abcdefABCDEFx \n", 20));

    private static readonly Gen<CreatedLayer> Layers = Gen.Select(Gen.Enum<LayerKind>(), Devices, Diskseqs,
        (kind, device, diskseq) => new CreatedLayer(kind, device, diskseq));

    [Fact]
    public void RecordsRoundTrip()
        => Layers.List[0, 5].Sample(layers =>
        {
            var record = new DiskseqRecord(layers);
            Assert.True(DiskseqRecord.TryParse(record.ToString(), out DiskseqRecord back), record.ToString());
            Assert.Equal(layers, back.Layers);
        }, iter: Iterations);

    [Fact]
    public void RecordTextIsRefusedOrCanonical()
        => EveryInputIsRefusedOrRoundTrips("record", Gen.Frequency(
            (2, Layers.List[1, 3].Select(l => new DiskseqRecord(l).ToString()).SelectMany(Mutate)),
            (1, TextFrom("loopdmne 0123456789abcdef:;", 60))));

    [Fact]
    public void BackendPathsRoundTrip()
        => Gen.Select(Gen.Bool, Gen.UInt[0, 0x7fef], Gen.UInt[0, 0x7fef], Gen.UInt).Sample(t =>
        {
            (bool absolute, uint backend, uint frontend, uint device) = t;
            string text = (absolute ? $"/local/domain/{backend}/" : "") + $"backend/vbd/{frontend}/{device}";
            Assert.True(BackendPath.TryParse(text, out BackendPath? be), text);
            Assert.Equal((absolute ? backend : null, frontend, device), (be.BackendDomainId, be.FrontendId, be.DeviceId));
        }, iter: Iterations);

    [Fact]
    public void BackendPathTextIsRefusedOrCanonical()
        => EveryInputIsRefusedOrRoundTrips("backend-path", Gen.Frequency(
            (2, Gen.OneOf("backend/vbd/1/51712", "/local/domain/0/backend/vbd/32751/768").SelectMany(Mutate)),
            (1, TextFrom("/localdomainbckendvb0123456789", 60))));

    private static readonly Gen<string> PathComponents = Gen.String[Gen.Char["ab.-_ =x/"], 1, 8];

    private static readonly Gen<DiskTarget> Targets = PathComponents.Array[1, 4]
        .Select(parts => "/" + string.Join('/', parts))
        .Select(path => { try { return DiskTarget.Parse(path); } catch (HotplugFailure) { return null; } })
        .Where(target => target is not null && !target.Path.Contains(','))!;

    [Fact]
    public void DiskTargetsAreRefusedOrStable()
        => EveryInputIsRefusedOrRoundTrips("disk-target", TextFrom("/dev/mapper/control.x\\\0\n\t ", 30));

    [Fact]
    public void DmSpecsRoundTrip()
    {
        Gen<DmDiskSpec> specs = Gen.OneOf<DmDiskSpec>(
            Gen.Select(Targets, Targets, Gen.Int[3, 10], (o, c, log) => new SnapshotSpec(o, c, 1u << log))
                .Where(s => s.Origin.Path != s.Cow.Path).Select(s => (DmDiskSpec)s),
            Gen.Select(Targets, Gen.ULong[1, 1000], (o, units) => (DmDiskSpec)new ThrowawaySnapshotSpec(o, units * ThrowawaySnapshotSpec.CowSizeUnit + ThrowawaySnapshotSpec.MinCowSizeBytes)),
            Targets.Select(o => (DmDiskSpec)new ThrowawaySnapshotSpec(o, null)),
            Gen.Select(Targets, Gen.ULong[0, SliceSpec.MaxSectors - 1], Gen.ULong[1, 1 << 20], (p, offset, sectors)
                => (DmDiskSpec)new SliceSpec(p, Math.Min(offset, SliceSpec.MaxSectors - sectors), sectors)));
        specs.Sample(spec => Assert.Equal(spec, DmDiskSpec.Parse(ParserTarget.FormatSpec(spec))), iter: Iterations);
    }

    [Fact]
    public void DmSpecTextIsRefusedOrRoundTrips()
        => EveryInputIsRefusedOrRoundTrips("dm-spec", Gen.Frequency(
            (3, Gen.OneOf("snapshot:origin=/a,cow=/b,chunk=16", "snapshot:origin=/a,cow-size=1048576", "snapshot:origin=sda",
                               "slice:path=/a,offset=8,sectors=16", "slice:path=/dev/mapper/x,offset=0,sectors=1").SelectMany(Mutate)),
            (1, TextFrom("snapshot:slice:origin=cow=path=offset=sectors=chunk=cow-size=,/ab0123456789", 80))));

    [Fact]
    public void PartitionsYieldExactlyTheLoopDevices()
    {
        Gen<(string Name, bool IsLoop)> names = Gen.OneOf(
            Gen.Int[0, 1 << 20].Select(n => ($"loop{n}", true)),
            Gen.OneOf(("sda", false), ("loop", false), ("loop01", false), ("loop1p1", false), ("nvme0n1", false), ("dm-0", false)));
        Gen.Select(names.List[0, 20], Gen.String[Gen.Char[" \t"], 1, 3]).Sample(t =>
        {
            (List<(string Name, bool IsLoop)> devices, string gap) = t;
            string text = "major minor  #blocks  name\n\n"
                + string.Concat(devices.Select((d, i) => $" 7{gap.Replace('\t', ' ')}{i}   1024 {d.Name}\n"));
            Assert.Equal(devices.Where(d => d.IsLoop).Select(d => d.Name), LocalUsage.LoopNamesIn(text));
        }, iter: Iterations);
    }

    [Fact]
    public void PartitionsTextNeverThrows()
        => EveryInputIsRefusedOrRoundTrips("partitions", TextFrom("loop0123456789 \n\tsda", 200));

    [Fact]
    public void MountInfoUnescapesTheMountPoint()
    {
        // show_mountinfo escapes space, tab, newline and backslash as \ooo.
        Gen.Select(Devices, Gen.String[Gen.Char["ab /\t\n\\é"], 1, 12]).Sample(t =>
        {
            (DeviceNumber device, string mountPoint) = t;
            string escaped = string.Concat(mountPoint.Select(c => c is ' ' or '\t' or '\n' or '\\' ? $"\\{Convert.ToString(c, 8).PadLeft(3, '0')}" : c.ToString()));
            string line = $"36 35 {device.Major}:{device.Minor} / /{escaped} rw,noatime master:1 - ext4 none rw,errors=continue\n";
            Assert.Equal("/" + mountPoint, LocalUsage.MountPointIn("1 2 0:1 / / rw - ext4 none rw\n" + line, device, writableOnly: true));
        }, iter: Iterations);
    }

    [Fact]
    public void MountInfoTextNeverThrows()
        => Gen.Select(Gen.Byte, Gen.Byte, Gen.Bool, TextFrom("0123456789: -/\\rwo,\n", 200)).Sample(t =>
            ParserTarget.Run([7, t.Item1, t.Item2, (byte)(t.Item3 ? 1 : 0), .. Encoding.UTF8.GetBytes(t.Item4)]), iter: Iterations);

    [Fact]
    public void SysfsValuesAreRefusedOrCanonical()
        => EveryInputIsRefusedOrRoundTrips("sysfs-value", Gen.Frequency(
            (2, Devices.Select(d => d + "\n").SelectMany(Mutate)),
            (1, TextFrom("DEVNAME=loop0123456789abcdef:\n", 40))));

    [Fact]
    public void DmNamesRoundTrip()
        => Gen.Select(Gen.UInt, Gen.UInt, Gen.String[Gen.Char['a', 'z'], 1, DmName.MaxLayerLength]).Sample(t =>
        {
            DmName name = DmName.Create(t.Item1, t.Item2, t.Item3);
            Assert.True(DmName.TryParse(name.ToString(), out DmName back) && back == name, name.ToString());
            Assert.True(back.OwnsUuid(name.NewUuid()));
        }, iter: Iterations);

    [Theory]
    [InlineData("dm-name", "block-diskseq-0123456789-snaplice")]
    [InlineData("mode", "rw!o")]
    [InlineData("timeout", "0123456789.")]
    [InlineData("invocation", "addremovestatus--backend--timeout--no-wait--verbose\0=XENBUS_PATH/vbd0123456789")]
    [InlineData("record-ownership", "loopdmne 0123456789abcdef:;\n")]
    public void TextIsRefusedTheDocumentedWayOrParses(string parser, string alphabet)
        => EveryInputIsRefusedOrRoundTrips(parser, TextFrom(alphabet, 60));

    [Theory]
    [InlineData(12)]
    [InlineData(13)]
    public void DmRepliesAreRefusedOrParsed(byte parser)
        => Gen.Byte.Array[0, 700].Sample(reply => ParserTarget.Run([parser, .. reply]), iter: Iterations);

    /// <summary>A valid text with one character replaced, inserted or removed: the near misses parsers get wrong.</summary>
    private static Gen<string> Mutate(string valid)
        => Gen.Select(Gen.Int[0, 2], Gen.Int[0, Math.Max(0, valid.Length - 1)], Gen.Char["0aAf:;/ ,=-\n\0x9é"], (kind, at, c) => kind switch
        {
            0 when valid.Length > 0 => valid.Remove(at, 1).Insert(at, c.ToString()),
            1 => valid.Insert(at, c.ToString()),
            _ when valid.Length > 0 => valid.Remove(at, 1),
            _ => valid,
        });

    /// <summary>The committed afl corpus and every crash it found: each input through its parser, as under afl.</summary>
    [Fact]
    public void FuzzCorpusAndCrashesReplay()
    {
        string fuzz = FuzzDirectory();
        string[] inputs = new[] { "corpus/parsers", "crashes/parsers" }
            .Select(d => Path.Combine(fuzz, d)).Where(Directory.Exists).SelectMany(Directory.EnumerateFiles).ToArray();
        Assert.NotEmpty(inputs);
        foreach (string input in inputs)
        {
            try
            {
                ParserTarget.Run(File.ReadAllBytes(input));
            }
            catch (Exception e)
            {
                Assert.Fail($"{input}: {e}");
            }
        }
    }

    private static string FuzzDirectory([CallerFilePath] string here = "")
        => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", "fuzz"));
}
