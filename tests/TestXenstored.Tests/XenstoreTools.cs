using System;
using System.Diagnostics;
using System.Threading.Tasks;

namespace TestXenstored.Tests;

/// <summary>Runs Debian's xenstore-utils against a server, as the block scripts and operators do.</summary>
internal static class XenstoreTools
{
    // A tool answers in milliseconds; this only bounds a hang so the test fails instead of the run.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static ToolResult Run(string socketPath, string tool, params string[] args)
        => RunAsync(socketPath, tool, args).GetAwaiter().GetResult();

    /// <summary>For running many at once without holding a thread for each.</summary>
    public static async Task<ToolResult> RunAsync(string socketPath, string tool, params string[] args)
    {
        using Process process = Start(socketPath, tool, args);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(Timeout);
        }
        catch (TimeoutException)
        {
            process.Kill();
            await process.WaitForExitAsync();
            throw new TimeoutException($"{tool} {string.Join(' ', args)} did not finish in {Timeout}");
        }
        return new ToolResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts a tool with XENSTORED_PATH pointing at the server; the caller owns the process.</summary>
    public static Process Start(string socketPath, string tool, params string[] args)
    {
        var start = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        start.Environment["XENSTORED_PATH"] = socketPath;
        return Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start");
    }
}
