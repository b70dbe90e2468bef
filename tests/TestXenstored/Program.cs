using System;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;

namespace TestXenstored;

/// <summary>
/// <c>TestXenstored --socket PATH</c>: serves until SIGTERM or SIGINT, printing <c>ready PATH</c> once
/// clients can connect; removes the socket on exit.
/// </summary>
internal static class Program
{
    private const int ExitUsage = 64; // EX_USAGE
    private const int ExitFailure = 1;

    private static int Main(string[] args)
    {
        if (args is not ["--socket", string socketPath])
        {
            Console.Error.WriteLine("usage: TestXenstored --socket PATH");
            return ExitUsage;
        }
        using var stop = new ManualResetEventSlim();
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true; // exit through Dispose below, which removes the socket
            stop.Set();
        }
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        XenstoreServer server;
        try
        {
            server = XenstoreServer.Start(socketPath);
        }
        catch (SocketException e)
        {
            Console.Error.WriteLine($"TestXenstored: cannot listen on {socketPath}: {e.Message}");
            return ExitFailure;
        }
        using (server)
        {
            Console.WriteLine($"ready {server.SocketPath}");
            stop.Wait();
        }
        return 0;
    }
}
