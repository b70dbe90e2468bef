using System;
using BlockDiskseq.Flow;

namespace BlockDiskseq;

/// <summary>Parses the command line (libxl's: argv[1] = add|remove, the rest in the environment) and dispatches.</summary>
internal static class Cli
{
    internal const string Usage =
        "Usage: block-diskseq add|remove [--backend PATH] [--no-wait] [--timeout SECONDS] [--verbose]\n" +
        "       block-diskseq status [PATH] [--verbose]\n" +
        "       block-diskseq --help | --version\n" +
        "Silent on success: events go to syslog and /var/log/xen/xen-hotplug.log. See block-diskseq(8).\n";

    internal static int Run(string[] args)
    {
        if (args.Length == 1 && args[0] is "--help" or "-h")
        {
            Log.Out(Usage);
            return ExitCodes.Success;
        }
        if (args.Length == 1 && args[0] == "--version")
        {
            Log.Out($"block-diskseq {Version}\n");
            return ExitCodes.Success;
        }
        Invocation invocation;
        try
        {
            invocation = Invocation.Parse(args, Environment.GetEnvironmentVariable);
        }
        catch (UsageException e)
        {
            return UsageError(e.Message);
        }
        catch (HotplugFailure e)
        {
            // No usable backend path: nowhere to write hotplug-error, so the log line is all there is.
            Log.Error(e.Message);
            return ExitCodes.Failure;
        }
        Log.Verbose = invocation.Verbose;
        Log.Context = invocation.Backend is null ? $"block-diskseq {args[0]}" : $"block-diskseq {args[0]} {invocation.Backend}";
        // status is a person's read-only look, not a hotplug event.
        if (invocation.Verb != Verb.Status)
            Log.HotplugLogDirectory = invocation.Settings.HotplugLogDirectory;
        return invocation.Verb == Verb.Status ? Status.Run(invocation) : HotplugRun.Run(invocation);
    }

    internal static string Version => BuildInfo.Version;

    private static int UsageError(string message)
    {
        Log.Error(message);
        Log.Out(Usage);
        return ExitCodes.Usage;
    }
}
