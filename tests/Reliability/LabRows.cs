using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;

namespace BlockDiskseq.Reliability;

/// <summary>
/// Part 1 for the device-mapper forms, which need dm-mod and so run only in the Xen lab: its dm-faults
/// scenario (tests/vm/scenarios/dm-faults.sh). tests/vm/run keeps each kernel's result lines in
/// tests/vm/out/results-KERNEL.txt; this reads the dm-faults line and its failure reasons from there.
/// The rows stand beside the table's own, not in its total: the lab's run, not this one, counted them.
/// </summary>
internal static partial class LabRows
{
    private const string Scenario = "dm-faults";

    [GeneratedRegex(@"^results-([a-z]+)\.txt$")]
    private static partial Regex ResultsFile();

    public static (List<string> Rows, List<string> Failures) From(string? directory)
    {
        List<string> rows = [], failures = [];
        if (directory is null || !Directory.Exists(directory))
            return (rows, failures);
        foreach (string path in Directory.GetFiles(directory, "results-*.txt").Order(StringComparer.Ordinal))
        {
            Match file = ResultsFile().Match(Path.GetFileName(path));
            string[] lines = File.ReadAllLines(path);
            string? result = lines.FirstOrDefault(l => l.StartsWith($"LAB: RESULT {Scenario} ", StringComparison.Ordinal));
            if (!file.Success || result is null)
                continue;
            string kernel = file.Groups[1].Value;
            List<string> reasons = [.. lines
                .Where(l => l.StartsWith($"LAB: REASON {Scenario} ", StringComparison.Ordinal))
                .Select(l => l[$"LAB: REASON {Scenario} ".Length..])];
            rows.Add(Row(kernel, result, reasons, File.GetLastWriteTimeUtc(path), path));
            failures.AddRange(reasons.Select(r => $"Xen lab, {kernel} kernel: {r}"));
        }
        return (rows, failures);
    }

    private static string Row(string kernel, string result, List<string> reasons, DateTime written, string path)
    {
        // LAB: RESULT dm-faults PASS|FAIL time=S trials=N injected=N snapshot-requests=add:6,remove:4 ...
        Dictionary<string, string> metrics = result.Split(' ').Select(f => f.Split('=', 2)).Where(f => f.Length == 2)
            .ToDictionary(f => f[0], f => f[1]);
        string Metric(string key) => metrics.GetValueOrDefault(key, "?");
        List<(string Form, string Requests)> forms = [.. metrics.Where(m => m.Key.EndsWith("-requests", StringComparison.Ordinal))
            .Select(m => (m.Key[..^"-requests".Length], m.Value))];
        int points = forms.Sum(f => Regex.Matches(f.Requests, @"\d+").Sum(m => int.Parse(m.Value, CultureInfo.InvariantCulture)));
        int leaks = reasons.Count(r => r.Contains("left behind", StringComparison.Ordinal));
        int wrongDisk = reasons.Count(r => r.Contains("exported our dm device", StringComparison.Ordinal));
        int exits = reasons.Count(r => r.Contains(": exit ", StringComparison.Ordinal) || r.Contains("without a SIGKILL", StringComparison.Ordinal));
        string requests = string.Join("; ", forms.Select(f => $"{f.Form} {f.Requests.Replace(",", ", ", StringComparison.Ordinal).Replace(":", " ", StringComparison.Ordinal)}"));
        string seconds = double.TryParse(Metric("time"), NumberStyles.Float, CultureInfo.InvariantCulture, out double s) ? $"{s:F0} s" : "?";
        return $"| 1 syscall faults, Xen lab ({kernel} kernel) | dm forms: every device-mapper request of add and remove, EIO / EBUSY / SIGKILL "
            + $"| {Metric("trials")} | {reasons.Count} | {points} | {Metric("injected")} | {leaks} | {wrongDisk} | {exits} | {seconds} "
            + $"| requests per form: {requests}; from {path} ({written:yyyy-MM-dd HH:mm} UTC), not in the total |";
    }
}
