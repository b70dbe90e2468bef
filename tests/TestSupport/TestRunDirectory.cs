using System;
using System.IO;
using System.Runtime.CompilerServices;
using BlockDiskseq.Sharing;

namespace BlockDiskseq.TestSupport;

/// <summary>
/// In-process tests that attach loop devices write udev markers and delete devices by them (UdevMarker,
/// LoopPool) under BackingLock.RunDir, /run/block-diskseq by default: the installed program's own directory.
/// Every process that loads this assembly gets a directory of its own instead, deleted at exit.
/// </summary>
internal static class TestRunDirectory
{
#pragma warning disable CA2255 // a library's module initializer, on purpose: before any test of any project touches the directory
    [ModuleInitializer]
    internal static void UseOwnRunDirectory()
#pragma warning restore CA2255
    {
        string dir = Directory.CreateTempSubdirectory("block-diskseq-tests-run-").FullName;
        BackingLock.RunDir = dir;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // A marker written while we exit: a temp directory is left, nothing else.
            }
        };
    }
}
