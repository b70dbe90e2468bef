using System;
using System.Collections.Generic;
using System.Diagnostics;

namespace BlockDiskseq.Bench;

/// <summary>A hotplug script under test and how libxl runs it (docs/protocol-facts.md §1).</summary>
internal sealed record HotplugScript(string Name, string Path, IReadOnlyDictionary<string, string> ExtraEnvironment)
{
    /// <summary>Starts `script verb` with libxl's environment; stdin is an immediately closed pipe (EOF, like /dev/null).</summary>
    public Process Start(string verb, string xenbusPath, string socketPath, string? wrapper = null,
        IReadOnlyList<string>? wrapperArgs = null, IReadOnlyList<string>? scriptArgs = null)
    {
        var start = new ProcessStartInfo(wrapper ?? Path)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = "/",
            UseShellExecute = false,
        };
        if (wrapper is not null)
        {
            foreach (string arg in wrapperArgs ?? [])
                start.ArgumentList.Add(arg);
            start.ArgumentList.Add(Path);
        }
        start.ArgumentList.Add(verb);
        foreach (string arg in scriptArgs ?? [])
            start.ArgumentList.Add(arg);
        start.Environment["XENBUS_PATH"] = xenbusPath;
        start.Environment["XENBUS_TYPE"] = "vbd";
        start.Environment["XENBUS_BASE_PATH"] = "backend";
        start.Environment["script"] = Path;
        start.Environment["XENSTORED_PATH"] = socketPath;
        foreach ((string name, string value) in ExtraEnvironment)
            start.Environment[name] = value;
        Process process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {Path}");
        process.StandardInput.Close();
        return process;
    }

    /// <summary>Runs to completion; throws with the script's stderr if it failed.</summary>
    public double RunMilliseconds(string verb, string xenbusPath, string socketPath)
    {
        long started = Stopwatch.GetTimestamp();
        using Process process = Start(verb, xenbusPath, socketPath);
        Finish(process, verb);
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    public void Finish(Process process, string verb)
    {
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill();
            throw new TimeoutException($"{Name} {verb} did not finish within 60 s");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Name} {verb} exited {process.ExitCode}: {stderr.Result.Trim()}");
    }
}
