using Xunit;

namespace TestXenstored.Tests;

public class XenstorePathTests
{
    [Theory]
    [InlineData("/", "/")]
    [InlineData("/local/domain/1/vm", "/local/domain/1/vm")]
    [InlineData("backend/vbd", "/local/domain/0/backend/vbd")]
    [InlineData("/A-Z_a-z/0-9/@x", "/A-Z_a-z/0-9/@x")]
    public void ValidPathsResolveToAbsolute(string path, string absolute)
        => Assert.Equal(absolute, XenstorePath.Resolve(path));

    [Theory]
    [InlineData("")]
    [InlineData("//")]
    [InlineData("/a//b")]
    [InlineData("/a/")]
    [InlineData("rel/")]
    [InlineData("/a b")]
    [InlineData("/a.b")]
    [InlineData("/é")]
    [InlineData("@introduceDomain")]
    public void InvalidPathsAreEINVAL(string path)
        => Assert.Equal(XsdErrno.EINVAL, Assert.Throws<XsdException>(() => XenstorePath.Resolve(path)).Errno);

    [Fact]
    public void WatchPathsMayBeSpecial()
    {
        Assert.Equal("@releaseDomain", XenstorePath.ResolveWatch("@releaseDomain"));
        Assert.Equal("/local/domain/0/x", XenstorePath.ResolveWatch("x"));
    }

    [Theory]
    [InlineData("/a/b", "/a", true)]
    [InlineData("/a", "/a", true)]
    [InlineData("/ab", "/a", false)]
    [InlineData("/a", "/a/b", false)]
    [InlineData("/anything", "/", true)]
    [InlineData("@introduceDomain", "/", false)]
    public void AtOrBelowIsByWholeNames(string path, string prefix, bool expected)
        => Assert.Equal(expected, XenstorePath.IsAtOrBelow(path, prefix));

    [Fact]
    public void ParentNameAndChild()
    {
        Assert.Equal("/", XenstorePath.Parent("/a"));
        Assert.Equal("/a/b", XenstorePath.Parent("/a/b/c"));
        Assert.Equal("c", XenstorePath.Name("/a/b/c"));
        Assert.Equal("/a", XenstorePath.Child("/", "a"));
        Assert.Equal("/a/b", XenstorePath.Child("/a", "b"));
    }
}
