using System;
using BlockDiskseq.Cli;
using BlockDiskseq.DeviceMapper;
using BlockDiskseq.Devices;
using BlockDiskseq.Reporting;
using BlockDiskseq.Sharing;
using XenstoreInterop;

namespace BlockDiskseq;

/// <summary>
/// The entry point. libxl's command line is argv[1] = add|remove with the rest in the environment
/// (docs/protocol-facts.md §1); a person may add options or run status. Main repairs fds 0-2, parses,
/// and runs the verb; add and remove report any failure through FailureReport. No exception gets past Main.
/// </summary>
internal static class Program
{
    internal const string Usage =
        "Usage: block-diskseq add|remove [--backend PATH] [--no-wait] [--timeout SECONDS] [--verbose]\n" +
        "       block-diskseq status [PATH] [--verbose]\n" +
        "       block-diskseq --help | --version\n" +
        "Silent on success: events go to syslog and /var/log/xen/xen-hotplug.log. See block-diskseq(8).\n";

    private static int Main(string[] args)
    {
        StandardFds.Repair();
        StandardFds.KeepStderrFromBlocking();
        int exitCode;
        try
        {
            exitCode = Run(args);
        }
        catch (Exception e)
        {
            // Last line of defence: an escaping exception would abort with 134.
            Log.Error($"internal error: {ErrorText.Of(e)}");
            exitCode = ExitCodes.Failure;
        }
        Log.ReportDropped();
        return exitCode;
    }

    internal static int Run(string[] args)
    {
        if (args.Length == 1 && args[0] is "--help" or "-h")
        {
            Log.Out(Usage);
            return ExitCodes.Success;
        }
        if (args.Length == 1 && args[0] == "--version")
        {
            Log.Out($"block-diskseq {BuildInfo.Version}\n");
            return ExitCodes.Success;
        }
        Invocation invocation;
        try
        {
            invocation = Invocation.Parse(args, Environment.GetEnvironmentVariable);
        }
        catch (UsageException e)
        {
            Log.Error(e.Message);
            Log.Out(Usage);
            return ExitCodes.Usage;
        }
        catch (HotplugFailure e)
        {
            // No usable backend path: nowhere to write hotplug-error, so the log line is all there is.
            Log.Error(e.Message);
            return ExitCodes.Failure;
        }
        UseSettings(invocation.Settings);
        Log.Verbose = invocation.Verbose;
        Log.Context = invocation.Backend is null ? $"block-diskseq {args[0]}" : $"block-diskseq {args[0]} {invocation.Backend}";
        // status is a person's read-only look, not a hotplug event.
        if (invocation.Verb != Verb.Status)
            Log.HotplugLogDirectory = invocation.Settings.HotplugLogDirectory;
        return invocation.Verb == Verb.Status ? Status.Run(invocation) : RunHotplug(invocation);
    }

    /// <summary>The settings read once from the environment, handed to the parts that keep them.</summary>
    private static void UseSettings(Settings settings)
    {
        Sysfs.Root = settings.SysfsRoot;
        BackingLock.RunDir = settings.RunDirectory;
        ThrowawayCow.Directory = settings.CowDirectory;
        SyslogSocket.Path = settings.SyslogPath;
    }

    /// <summary>
    /// add or remove, with any failure reported the way libxl and Xen's scripts expect (FailureReport):
    /// one line in hotplug-error, hotplug-status = error (busy for sharing conflicts), the same line logged
    /// once to stderr, syslog and the hotplug log, exit 1 (docs/protocol-facts.md §1, §4).
    /// </summary>
    private static int RunHotplug(Invocation invocation)
    {
        var deadline = new Deadline(invocation.Settings.Timeout);
        Xenstore? xs = null;
        try
        {
            xs = Xenstore.Open();
            Log.Step("connected to Xenstore");
            if (invocation.Verb == Verb.Add)
                Add.Run(xs, invocation, deadline);
            else
                Remove.Run(xs, invocation);
            Log.Step("done");
            return ExitCodes.Success;
        }
        catch (Exception e)
        {
            FailureReport.Write(xs, invocation.Backend!, e);
            return ExitCodes.Failure;
        }
        // The connection is not closed: the process ends right after this, which closes the socket and ends
        // libxenstore's reader thread. xs_close would pthread_cancel that thread, and glibc loads libgcc_s for
        // the cancellation unwind: about 0.5 ms of an add spent on nothing.
    }
}
