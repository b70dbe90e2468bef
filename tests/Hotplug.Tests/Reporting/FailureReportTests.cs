using System;
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

    [Fact]
    public void AnythingUnexpectedIsAnInternalErrorOnOneLine()
    {
        (string message, string status) = FailureReport.Describe(new InvalidOperationException("bad\nstate"));
        Assert.Equal("internal error: InvalidOperationException: bad\\nstate", message);
        Assert.Equal("error", status);
    }

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
