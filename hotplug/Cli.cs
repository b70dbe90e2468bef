using System;
using System.Reflection;

namespace BlockDiskseq;

/// <summary>Parses the command line (libxl's: argv[1] = add|remove, the rest in the environment) and dispatches.</summary>
internal static class Cli
{
    internal const string Usage =
        "Usage: block-diskseq add|remove [--backend PATH] [--no-wait] [--timeout SECONDS] [--verbose]\n" +
        "       block-diskseq status [PATH] [--verbose]\n" +
        "       block-diskseq --help | --version\n";

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
        return UsageError(args.Length == 0 ? "missing command" : $"unknown command '{args[0]}'");
    }

    internal static string Version =>
        typeof(Cli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? "unknown";

    private static int UsageError(string message)
    {
        Log.Error(message);
        Log.Out(Usage);
        return ExitCodes.Usage;
    }
}
