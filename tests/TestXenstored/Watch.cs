namespace TestXenstored;

/// <summary>
/// A client's watch. <see cref="Path"/> is what the client sent (reported back as is), <see cref="Target"/>
/// the absolute path or special <c>@name</c> it matches against.
/// </summary>
internal sealed class Watch(Connection owner, string path, string target, string token)
{
    public Connection Owner { get; } = owner;
    public string Path { get; } = path;
    public string Target { get; } = target;
    public string Token { get; } = token;

    /// <summary>Queues a WATCH_EVENT; a relative watch reports paths relative to the domain home.</summary>
    public void Notify(string absolutePath)
    {
        string eventPath = XenstorePath.IsRelative(Path) ? XenstorePath.ToRelative(absolutePath) : absolutePath;
        Owner.SendWatchEvent(eventPath, Token);
    }

    /// <summary><paramref name="count"/> WATCH_EVENTs for one path, queued as one send.</summary>
    public void NotifyMany(string absolutePath, int count)
    {
        string eventPath = XenstorePath.IsRelative(Path) ? XenstorePath.ToRelative(absolutePath) : absolutePath;
        byte[] one = new WireHeader(XsdType.WatchEvent, 0, 0, 0).Encode(Payload.Strings(eventPath, Token));
        byte[] burst = new byte[one.Length * count];
        for (int i = 0; i < count; i++)
            one.CopyTo(burst, i * one.Length);
        Owner.Send(burst);
    }

    /// <summary>The event every new watch gets right after its acknowledgement, naming the watch itself.</summary>
    public void NotifyRegistered() => Owner.SendWatchEvent(Path, Token);
}
