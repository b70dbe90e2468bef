using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace BlockDiskseq.Reliability;

/// <summary>
/// tests/Reliability/run: the reliability suite (issue 13 parts 1, 3, 4). Every trial is one case; the
/// last line is "N passed, N failed". --long runs the full sweep and the long storm and soak and writes
/// docs/reliability.md.
///   Reliability --binary PATH [--long] [--seed N] [--out FILE] [--lab-results DIR] [--parts sweep,concurrency,storm,soak]
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        Options options;
        try
        {
            options = Options.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine("usage: Reliability --binary PATH [--long] [--seed N] [--out FILE] [--lab-results DIR] [--parts sweep,concurrency,storm,soak]");
            return 64;
        }
        Console.WriteLine($"reliability: {(options.Long ? "long" : "CI-sized")} run, seed {options.Seed}, binary {options.Binary}");
        var random = new Random(options.Seed);
        var tallies = new List<Tally>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using (var lab = new Lab(options.Binary))
        {
            foreach (string part in options.Parts)
            {
                List<Tally> done;
                try
                {
                    done = part switch
                    {
                        "sweep" => Parts.Sweep(lab, random, options.Long),
                        "concurrency" => Parts.Concurrency(lab, random, options.Long),
                        "storm" => Parts.Storm(lab, random, options.Long),
                        "soak" => Parts.Soak(lab, random, options.Long),
                        _ => throw new InvalidOperationException(part),
                    };
                }
                catch (Exception e)
                {
                    // Caught so the lab's Dispose detaches what the harness attached (an unhandled exception
                    // would skip it); the part counts as one failure.
                    Console.WriteLine($"FAIL: part {part}: the harness failed: {e}");
                    var harness = new Tally(part, "the harness");
                    var verdict = new Verdict();
                    verdict.Fail(e.Message);
                    harness.Record(verdict, part, landed: false);
                    done = [harness];
                }
                foreach (Tally tally in done)
                    Console.WriteLine($"  {tally.Part} / {tally.Kind}: {tally.Trials} trials, {tally.Failed} failed, {tally.Landed} landed, "
                        + $"{tally.FaultPoints} fault points, {tally.Time.TotalSeconds:F1} s {tally.Note}");
                tallies.AddRange(done);
                // After every part, so a long run cut short still leaves the figures of the parts it finished.
                if (options.Out is string outPath)
                {
                    File.WriteAllText(outPath, Report.Markdown(tallies, options, clock.Elapsed, options.Parts.SkipWhile(p => p != part).Skip(1).ToList()));
                    Console.WriteLine($"wrote {outPath}");
                }
            }
        }
        int trials = tallies.Sum(t => t.Trials);
        int failed = tallies.Sum(t => t.Failed);
        Console.WriteLine($"{trials - failed} passed, {failed} failed");
        return failed == 0 ? 0 : 1;
    }
}

internal sealed record Options(string Binary, bool Long, int Seed, string? Out, IReadOnlyList<string> Parts, string? LabResults = null)
{
    internal static readonly string[] AllParts = ["sweep", "concurrency", "storm", "soak"];

    public static Options Parse(string[] args)
    {
        string? binary = null, output = null, labResults = null;
        bool isLong = false;
        int seed = Environment.TickCount & int.MaxValue;
        IReadOnlyList<string> parts = AllParts;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--binary": binary = Value(); break;
                case "--long": isLong = true; break;
                case "--out": output = Value(); break;
                case "--lab-results": labResults = Value(); break;
                case "--seed":
                    seed = int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out int s) ? s : throw new ArgumentException("--seed needs a number");
                    break;
                case "--parts":
                    parts = Value().Split(',');
                    if (parts.Any(p => !AllParts.Contains(p)))
                        throw new ArgumentException($"--parts: each of {string.Join(",", AllParts)}");
                    break;
                default: throw new ArgumentException($"unknown argument {args[i]}");
            }
        }
        if (binary is null || !File.Exists(binary))
            throw new ArgumentException($"--binary: no such file '{binary}'");
        return new Options(Path.GetFullPath(binary), isLong, seed, output, parts, labResults);
    }
}
