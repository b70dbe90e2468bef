using System;

namespace BlockDiskseq;

internal static class Program
{
    private static int Main(string[] args)
    {
        StandardFds.Repair();
        try
        {
            return Cli.Run(args);
        }
        catch (Exception e)
        {
            // Last line of defence: an escaping exception would abort with 134.
            Log.Error($"internal error: {e.GetType().Name}: {e.Message}");
            return ExitCodes.Failure;
        }
    }
}
