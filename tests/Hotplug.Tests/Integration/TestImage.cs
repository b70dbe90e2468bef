using System.IO;
using BlockDiskseq.Devices;
using BlockDiskseq.Sharing;

namespace BlockDiskseq.Tests.Integration;

/// <summary>An image file made for a test; its identity (st_dev, st_ino) outlives the path (deleted-image tests).</summary>
internal sealed record TestImage(string Path, ulong StDev, ulong StIno)
{
    internal static TestImage Create(string path, long size)
    {
        using (var file = new FileStream(path, FileMode.CreateNew))
            file.SetLength(size);
        FileStatus status = FileStatus.TryOfPath(path) ?? throw new IOException($"stat {path}");
        return new TestImage(path, status.Dev, status.Ino);
    }

    /// <summary>Loop devices bound to this image now (any attacher).</summary>
    internal int BoundLoops => LocalUsage.LoopsBackedBy(StDev, StIno).Count;
}
