using System;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;
using Xunit;

namespace TestXenstored.Tests;

/// <summary>The TestXenstored executable as benchmarks run it: dotnet TestXenstored.dll --socket PATH.</summary>
public class ProgramTests
{
    // Start-up of a .NET app takes well under a second; this only bounds a hang.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ServesUntilSigtermThenRemovesItsSocket()
    {
        DirectoryInfo directory = Directory.CreateTempSubdirectory("xsd-exe-");
        string socketPath = Path.Combine(directory.FullName, "socket");
        using Process server = StartServer("--socket", socketPath);
        try
        {
            string? ready = await server.StandardOutput.ReadLineAsync().WaitAsync(Timeout);
            Assert.Equal($"ready {socketPath}", ready);
            Assert.Equal(0, XenstoreTools.Run(socketPath, "xenstore-write", "/exe", "works").ExitCode);
            Assert.Equal("works\n", XenstoreTools.Run(socketPath, "xenstore-read", "/exe").Stdout);

            Assert.Equal(0, LibC.kill(server.Id, LibC.SIGTERM));
            Assert.True(server.WaitForExit(Timeout), "TestXenstored did not exit on SIGTERM");
            Assert.Equal(0, server.ExitCode);
            Assert.False(File.Exists(socketPath));
        }
        finally
        {
            if (!server.HasExited)
                server.Kill();
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task WithoutSocketOptionPrintsUsage()
    {
        using Process server = StartServer();
        string stderr = await server.StandardError.ReadToEndAsync().WaitAsync(Timeout);
        Assert.True(server.WaitForExit(Timeout));
        Assert.Equal(64, server.ExitCode);
        Assert.Contains("usage: TestXenstored --socket PATH", stderr);
    }

    private static Process StartServer(params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(XenstoreServer).Assembly.Location);
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        return Process.Start(start) ?? throw new InvalidOperationException("TestXenstored did not start");
    }
}
