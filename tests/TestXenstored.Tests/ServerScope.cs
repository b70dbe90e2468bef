using System;
using System.IO;
using System.Threading.Tasks;

namespace TestXenstored.Tests;

/// <summary>A server of its own on a socket in a fresh temporary directory; Dispose removes both.</summary>
internal sealed class ServerScope : IDisposable
{
    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("xsd-test-");

    public XenstoreServer Server { get; }

    public string SocketPath => Server.SocketPath;

    public ServerScope()
    {
        try
        {
            Server = XenstoreServer.Start(Path.Combine(directory.FullName, "socket"));
        }
        catch
        {
            directory.Delete(recursive: true);
            throw;
        }
    }

    /// <summary>Runs xenstore-<paramref name="tool"/> (e.g. "read") against this server.</summary>
    public ToolResult Tool(string tool, params string[] args) => XenstoreTools.Run(SocketPath, "xenstore-" + tool, args);

    public Task<ToolResult> ToolAsync(string tool, params string[] args)
        => XenstoreTools.RunAsync(SocketPath, "xenstore-" + tool, args);

    /// <summary>Runs a tool that must succeed; its stdout.</summary>
    public string Succeed(string tool, params string[] args)
    {
        ToolResult result = Tool(tool, args);
        return result.ExitCode == 0
            ? result.Stdout
            : throw new InvalidOperationException($"xenstore-{tool} {string.Join(' ', args)}: {result}");
    }

    public RawClient Connect() => RawClient.Connect(SocketPath);

    public void Dispose()
    {
        Server.Dispose();
        directory.Delete(recursive: true);
    }
}
