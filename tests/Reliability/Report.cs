using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace BlockDiskseq.Reliability;

/// <summary>docs/reliability.md from one run: one table of figures, then every failure seen.</summary>
internal static class Report
{
    public static string Markdown(IReadOnlyList<Tally> tallies, Options options, TimeSpan total, IReadOnlyList<string> partsLeft)
    {
        var md = new StringBuilder();
        md.AppendLine("# Reliability: syscall faults, concurrency, kill storms");
        md.AppendLine();
        md.AppendLine($"Written by `tests/Reliability/run{(options.Long ? " --long" : "")}` on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC "
            + $"(seed {options.Seed}, {total.TotalMinutes:F1} min in all, kernel {File.ReadAllText("/proc/sys/kernel/osrelease").Trim()}, "
            + $"{Environment.ProcessorCount} cores). What each part does and what the checks mean: the sections after the table.");
        md.AppendLine();
        List<string> notRun = [.. Options.AllParts.Except(options.Parts)];
        if (notRun.Count > 0)
            md.AppendLine($"**Parts not in this run (--parts): `{string.Join("`, `", notRun)}`; their rows are missing.**\n");
        if (partsLeft.Count > 0)
            md.AppendLine($"**This run was cut short: the parts `{string.Join("`, `", partsLeft)}` had not finished, so their rows are missing.**\n");
        md.AppendLine("| part | kind | trials | failed | fault points | faults landed | leaks | wrong-disk | unexpected exits | time | notes |");
        md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (Tally t in tallies)
            md.AppendLine($"| {t.Part} | {t.Kind} | {t.Trials:N0} | {t.Failed:N0} | {(t.FaultPoints > 0 ? t.FaultPoints.ToString("N0") : "")} | "
                + $"{t.Landed:N0} | {t.Leaks} | {t.WrongDisk} | {t.UnexpectedExits} | {t.Time.TotalSeconds:F0} s | {t.Note} |");
        md.AppendLine($"| **all** | | **{tallies.Sum(t => t.Trials):N0}** | **{tallies.Sum(t => t.Failed):N0}** | "
            + $"{tallies.Sum(t => t.FaultPoints):N0} | {tallies.Sum(t => t.Landed):N0} | **{tallies.Sum(t => t.Leaks)}** | "
            + $"**{tallies.Sum(t => t.WrongDisk)}** | **{tallies.Sum(t => t.UnexpectedExits)}** | {total.TotalSeconds:F0} s | |");
        (List<string> labRows, List<string> labFailures) = LabRows.From(options.LabResults);
        foreach (string row in labRows)
            md.AppendLine(row);
        foreach (string row in FuzzRows())
            md.AppendLine(row);
        md.AppendLine();
        md.AppendLine("\"faults landed\": sweep trials whose fault strace really injected (it prints INJECTED, or the SIGKILL");
        md.AppendLine("killed the process); kill-soak and storm operations that died of the SIGKILL sent to them (an operation");
        md.AppendLine("that exited before its kill is checked all the same but not counted here).");
        md.AppendLine();
        md.AppendLine(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "ReliabilityMethod.md")).TrimEnd());
        md.AppendLine();
        md.AppendLine("## Failures in this run");
        md.AppendLine();
        List<string> failures = [.. tallies.SelectMany(t => t.Failures.Select(f => $"{t.Part} / {t.Kind}: {f}")), .. labFailures];
        if (failures.Count == 0)
            md.AppendLine("None.");
        foreach (string failure in failures.Take(100))
            md.AppendLine($"- {failure.Replace("|", "\\|", StringComparison.Ordinal)}");
        if (failures.Count > 100)
            md.AppendLine($"- ... and {failures.Count - 100} more (the run's output has them all)");
        return md.ToString();
    }

    private const string FuzzFigures = "docs/reliability-fuzz.md";

    /// <summary>
    /// Part 5's rows, from the last run of tests/fuzz/run (an hour per target, so not rerun here): afl's
    /// executions stand in the trials column and are not added to the total above them.
    /// </summary>
    private static IEnumerable<string> FuzzRows()
    {
        if (!File.Exists(FuzzFigures))
            yield break;
        foreach (string line in File.ReadLines(FuzzFigures))
        {
            // | target | what one input is | execs | inputs fuzzed (corpus) | seeds | crashes | hangs | duration |
            string[] cells = line.Split('|', StringSplitOptions.TrimEntries);
            if (cells.Length != 10 || !long.TryParse(cells[3], out long execs))
                continue;
            yield return $"| 5 fuzzing | afl++, {cells[1]}: {cells[2]} | {execs:N0} executions | {cells[6]} | | | | | {cells[6]} crashes, "
                + $"{cells[7]} hangs | {cells[8]} | inputs fuzzed (corpus): {cells[4]}; from {FuzzFigures}, not in the total |";
        }
    }
}
