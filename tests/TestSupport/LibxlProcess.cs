using System;
using System.Collections.Generic;
using System.Diagnostics;

namespace BlockDiskseq.TestSupport;

/// <summary>
/// Starts block-diskseq the way libxl runs a hotplug script (docs/protocol-facts.md §1): stdin /dev/null,
/// the caller's environment (XENBUS_PATH and the knobs), stdout and stderr captured. It runs under
/// `/bin/sh -c SCRIPT`, SCRIPT ending in an exec: the pid stays the binary's (or its wrapper's, e.g.
/// strace), so a kill sent to the process reaches the program.
/// </summary>
internal static class LibxlProcess
{
    /// <summary>SCRIPT's $0 is positional[0], "$@" the rest; a null environment value unsets the variable.</summary>
    public static Process Start(string script, IEnumerable<string> positional, IReadOnlyDictionary<string, string?> environment)
    {
        var start = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = "/",
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script + " </dev/null");
        foreach (string argument in positional)
            start.ArgumentList.Add(argument);
        foreach ((string name, string? value) in environment)
        {
            if (value is null)
                start.Environment.Remove(name);
            else
                start.Environment[name] = value;
        }
        return Process.Start(start) ?? throw new InvalidOperationException("could not start the binary");
    }
}
