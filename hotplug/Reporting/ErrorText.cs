using System;
using System.IO;
using BlockDiskseq.Cli;
using BlockDiskseq.Native;
using XenstoreInterop;

namespace BlockDiskseq.Reporting;

/// <summary>
/// Our words for an exception, never .NET's: the published binary is built with UseSystemResourceKeys
/// (aot.props), so a runtime exception's Message is a resource key and its arguments ("IO_PathTooLong_Path,
/// /sys/block/loop3/loop/backing_file"), which is no message for an admin. Our own exceptions (HotplugFailure,
/// NativeException, XenstoreException) already say call, object and errno; a runtime I/O exception is told
/// by the errno it was made from, as strerror words and the errno's name.
/// </summary>
internal static class ErrorText
{
    // HRESULTs the runtime gives the exceptions it maps errnos to (Interop.IOErrors.cs, GetExceptionForIoErrno,
    // in dotnet/runtime src/libraries/Common/src/Interop/Unix; .NET 10); every other errno is the HResult itself.
    private const int CorEFileNotFound = unchecked((int)0x80070002);
    private const int CorEDirectoryNotFound = unchecked((int)0x80070003);
    private const int CorEPathTooLong = unchecked((int)0x800700CE);
    /// <summary>errno values are small positive numbers (the kernel's MAX_ERRNO is 4095).</summary>
    private const int MaxErrno = 4095;

    /// <summary>The text of <paramref name="e"/>: its own Message when it is ours, else our description.</summary>
    internal static string Of(Exception e) => e switch
    {
        HotplugFailure or NativeException or XenstoreException or UsageException => e.Message,
        IOException or UnauthorizedAccessException when Errno(e) is int errno => Describe(errno),
        IOException => $"{e.GetType().Name} with no errno (HResult 0x{e.HResult:x8})",
        _ => e.GetType().Name,
    };

    /// <summary>"Name too long (ENAMETOOLONG)": strerror's words and the errno's name.</summary>
    internal static string Describe(int errno) => $"{LibC.StrError(errno)} ({LibC.ErrnoName(errno)})";

    /// <summary>The errno a runtime I/O exception was made from; null when it does not tell.</summary>
    internal static int? Errno(Exception e) => e switch
    {
        NativeException native => native.Errno,
        FileNotFoundException or DirectoryNotFoundException => LibC.ENOENT,
        PathTooLongException => LibC.ENAMETOOLONG,
        // EACCES, EPERM and EBADF all become UnauthorizedAccessException; the errno is on the inner exception.
        UnauthorizedAccessException => e.InnerException is IOException { HResult: > 0 and <= MaxErrno } inner ? inner.HResult : LibC.EACCES,
        IOException { HResult: CorEFileNotFound or CorEDirectoryNotFound } => LibC.ENOENT,
        IOException { HResult: CorEPathTooLong } => LibC.ENAMETOOLONG,
        IOException { HResult: > 0 and <= MaxErrno } => e.HResult,
        _ => null,
    };
}
