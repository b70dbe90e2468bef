using System;
using System.IO;
using BlockDiskseq.Cli;
using BlockDiskseq.Devices;
using BlockDiskseq.Native;
using BlockDiskseq.Reporting;
using BlockDiskseq.Sharing;
using Xunit;

namespace BlockDiskseq.Tests.Reporting;

public class FailureReportTests
{
    [Fact]
    public void SharingConflictsAreBusyEverythingElseError()
    {
        Assert.Equal(("File /x is read-only", "busy"), FailureReport.Describe(new HotplugFailure("File /x is read-only", HotplugFailure.StatusBusy)));
        Assert.Equal(("open on /x: No such file or directory (ENOENT)", "error"),
            FailureReport.Describe(new NativeException("open", "/x", LibC.ENOENT)));
    }

    /// <summary>Its Message is a resource key in the published binary (UseSystemResourceKeys): never shown.</summary>
    [Fact]
    public void AnythingUnexpectedIsAnInternalErrorNamedByItsType()
    {
        (string message, string status) = FailureReport.Describe(new InvalidOperationException("InvalidOperation_EnumFailedVersion"));
        Assert.Equal("internal error: InvalidOperationException", message);
        Assert.Equal("error", status);
    }

    /// <summary>
    /// Issue 21, item 7: runtime I/O exceptions built the way GetExceptionForIoErrno builds them in the published
    /// binary (resource key, then the path) are told by their errno, in our words.
    /// </summary>
    [Theory]
    [MemberData(nameof(RuntimeIoExceptions))]
    public void RuntimeIoExceptionsAreToldByTheirErrnoNeverByTheirResourceKey(Exception e, string expected)
    {
        (string message, string status) = FailureReport.Describe(e);
        Assert.Equal($"I/O error: {expected}", message);
        Assert.Equal("error", status);
        Assert.DoesNotMatch(ResourceKeyShape, message);
    }

    public static TheoryData<Exception, string> RuntimeIoExceptions() => new()
    {
        { new PathTooLongException("IO_PathTooLong_Path, /sys/block/loop3/loop/backing_file"), "File name too long (ENAMETOOLONG)" },
        { new FileNotFoundException("IO_FileNotFound_FileName, /x", "/x"), "No such file or directory (ENOENT)" },
        { new DirectoryNotFoundException("IO_PathNotFound_Path, /x"), "No such file or directory (ENOENT)" },
        { new UnauthorizedAccessException("UnauthorizedAccess_IODenied_Path, /x", new IOException("Operation not permitted", LibC.EPERM)),
          "Operation not permitted (EPERM)" },
        { new UnauthorizedAccessException("UnauthorizedAccess_IODenied_Path, /x"), "Permission denied (EACCES)" },
        { new IOException("IO_SharingViolation_File, /x", LibC.EAGAIN), "Resource temporarily unavailable (EAGAIN)" },
        { new IOException("IO_FileExists_Name, /x", LibC.EEXIST), "File exists (EEXIST)" },
        { new IOException("Arg_IOException"), "IOException with no errno (HResult 0x80131620)" },
    };

    /// <summary>A real one, from the runtime itself: a path component longer than NAME_MAX.</summary>
    [Fact]
    public void ARealPathTooLongSaysENameTooLong()
    {
        string path = "/tmp/" + new string('a', 300);
        Exception e = Assert.ThrowsAny<IOException>(() => File.OpenHandle(path));
        Assert.Equal("I/O error: File name too long (ENAMETOOLONG)", FailureReport.Describe(e).Message);
    }

    /// <summary>"IO_PathTooLong_Path", "UnauthorizedAccess_IODenied_Path", "Arg_IOException": what a resource key looks like.</summary>
    private const string ResourceKeyShape = @"\b[A-Z][A-Za-z]*_[A-Za-z_]+\b";

    [Theory]
    [InlineData(null, "w")]     // an unknown user is assumed to write
    [InlineData("r", "r")]
    [InlineData("ro", "r")]
    [InlineData("", "r")]       // Xen: no 'w' -> r
    [InlineData("w", "w")]
    [InlineData("rw", "w")]
    [InlineData("w!", "w!")]
    [InlineData("rw!", "w!")]
    [InlineData("r!", "r")]
    public void OtherBackendsModesAreCanonicalisedLikeXen(string? mode, string expected)
        => Assert.Equal(AccessModes.Parse(expected), SharingRules.CanonicalMode(mode));

    [Fact]
    public void DeadlineCountsDownAndStopsAtZero()
    {
        var deadline = new Deadline(TimeSpan.FromMilliseconds(20));
        Assert.False(deadline.Passed);
        Assert.True(deadline.Remaining <= TimeSpan.FromMilliseconds(20));
        System.Threading.Thread.Sleep(30);
        Assert.True(deadline.Passed);
        Assert.Equal(TimeSpan.Zero, deadline.Remaining);
    }
}
