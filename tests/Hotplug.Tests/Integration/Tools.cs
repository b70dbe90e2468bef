using System;
using System.Diagnostics;

namespace BlockDiskseq.Tests.Integration;

/// <summary>System tools the tests use to set up what the product must cope with (never the product itself).</summary>
internal static class Tools
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    /// <summary>Runs a tool and returns its stdout; throws if it fails.</summary>
    internal static string Run(string tool, params string[] args)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {tool}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Limit))
        {
            process.Kill();
            throw new TimeoutException($"{tool} {string.Join(' ', args)} ran longer than {Limit}");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{tool} {string.Join(' ', args)} failed ({process.ExitCode}): {stderr.Result}");
        return stdout.Result;
    }

    /// <summary>True when the tool is on PATH.</summary>
    internal static bool Exists(string tool)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':'))
        {
            if (System.IO.File.Exists(System.IO.Path.Combine(dir, tool)))
                return true;
        }
        return false;
    }
}
