using System;
using System.IO;
using TestXenstored;
using Xunit;

namespace XenstoreInterop.Tests;

/// <summary>Wrapper tests set the process-wide XENSTORED_PATH before xs_open, so they never run in parallel.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class XenstoredPathCollection
{
    public const string Name = "XENSTORED_PATH";
}

/// <summary>A private test Xenstore server in a temporary directory and a wrapper connection to it.</summary>
internal sealed class ConnectedServer : IDisposable
{
    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("xenstore-interop-");

    public XenstoreServer Server { get; }
    public Xenstore Client { get; }

    public ConnectedServer()
    {
        Server = XenstoreServer.Start(Path.Combine(directory.FullName, "socket"));
        Client = OpenAnother();
    }

    /// <summary>One more connection to the same server (libxenstore reads XENSTORED_PATH at xs_open).</summary>
    public Xenstore OpenAnother()
    {
        NativeEnvironment.Set("XENSTORED_PATH", Server.SocketPath);
        return Xenstore.Open();
    }

    public void Dispose()
    {
        Client.Dispose();
        Server.Dispose();
        NativeEnvironment.Unset("XENSTORED_PATH");
        directory.Delete(recursive: true);
    }
}

/// <summary>Base of the wrapper test classes: every test gets its own server and connection.</summary>
public abstract class ConnectedTests : IDisposable
{
    private readonly ConnectedServer connected = new();

    protected XenstoreServer Server => connected.Server;
    protected Xenstore Client => connected.Client;

    protected Xenstore OpenAnother() => connected.OpenAnother();

    public void Dispose() => connected.Dispose();
}
