using System.Text;
using Xunit;

namespace TestXenstored.Tests;

public class WireTests
{
    [Fact]
    public void ReplyEchoesTypeRequestIdAndTransactionId()
    {
        using var xs = new ServerScope();
        using RawClient client = xs.Connect();
        uint tx = client.StartTransaction();
        Reply reply = client.Request(XsdType.Directory, RawClient.Strings("/local"), tx, requestId: 77);
        Assert.Equal(new Reply(XsdType.Directory, 77, tx, Encoding.Latin1.GetBytes("domain\0")).ToString(), reply.ToString());
    }

    [Fact]
    public void ErrorIsTypeSixteenWithTheErrnoName()
    {
        using var xs = new ServerScope();
        using RawClient client = xs.Connect();
        Reply reply = client.Request(XsdType.Read, RawClient.Strings("/absent"), requestId: 5);
        Assert.Equal(16u, (uint)reply.Type);
        Assert.Equal(5u, reply.RequestId);
        Assert.Equal("ENOENT\0", reply.Raw);
    }

    [Fact]
    public void PipelinedRequestsAreAnsweredInOrder()
    {
        using var xs = new ServerScope();
        using RawClient client = xs.Connect();
        for (uint id = 1; id <= 20; id++)
        {
            if (id % 2 == 0)
                client.Send(XsdType.Read, RawClient.Strings("/p"), requestId: id);
            else
                client.Send(XsdType.Write, Encoding.Latin1.GetBytes($"/p\0{id}"), requestId: id);
        }
        for (uint id = 1; id <= 20; id++)
        {
            Reply reply = client.ReceiveAny()!.Value;
            Assert.Equal(id, reply.RequestId);
            if (id % 2 == 0)
                Assert.Equal($"{id - 1}", reply.Raw); // each read sees the write just before it
        }
    }

    [Fact]
    public void PayloadOverTheMaximumDropsTheConnection()
    {
        using var xs = new ServerScope();
        using (RawClient client = xs.Connect())
        {
            client.Send(XsdType.Write, [.. RawClient.Strings("/big"), .. new byte[4096 - 5]]);
            Assert.Equal(XsdType.Write, client.ReceiveAny()!.Value.Type); // exactly 4096 is fine
            client.Send(XsdType.Write, [.. RawClient.Strings("/big"), .. new byte[4096 - 4]]);
            Assert.Null(client.ReceiveAny());
        }
        Assert.Equal(4091, Encoding.Latin1.GetByteCount(xs.Server.Read("/big")!));
        using RawClient next = xs.Connect();
        Assert.Equal("domain", next.Call(XsdType.Directory, 0, "/local"));
    }

    [Theory]
    [InlineData(15u)] // XS_WATCH_EVENT is server to client only
    [InlineData(16u)]
    [InlineData(20u)] // XS_RESTRICT, removed
    [InlineData(99u)]
    public void UnknownRequestTypeIsENOSYS(uint type)
    {
        using var xs = new ServerScope();
        using RawClient client = xs.Connect();
        Assert.Equal("ENOSYS", client.Request((XsdType)type, RawClient.Strings("/")).Error);
    }

    [Theory]
    [InlineData("")]
    [InlineData("/a//b")]
    [InlineData("/a/")]
    [InlineData("/with space")]
    [InlineData("/dot.name")]
    [InlineData("@special")]
    public void InvalidPathIsEINVAL(string path)
    {
        using var xs = new ServerScope();
        using RawClient client = xs.Connect();
        Assert.Equal("EINVAL", client.ErrorOf(XsdType.Read, 0, path));
        Assert.Equal("EINVAL", client.Request(XsdType.Write, Encoding.Latin1.GetBytes(path + "\0v")).Error);
        Assert.Equal("EINVAL", client.ErrorOf(XsdType.Mkdir, 0, path));
    }

    [Fact]
    public void PathLengthsAreLimited()
    {
        using var xs = new ServerScope();
        using RawClient client = xs.Connect();
        string longestAbsolute = "/" + new string('a', 3071);
        client.Write(longestAbsolute, "");
        Assert.Equal("EINVAL", client.ErrorOf(XsdType.Mkdir, 0, longestAbsolute + "b"));
        string longestRelative = new string('r', 2048);
        Assert.Equal("OK", client.Call(XsdType.Mkdir, 0, longestRelative));
        Assert.Equal("EINVAL", client.ErrorOf(XsdType.Mkdir, 0, longestRelative + "r"));
    }

    [Fact]
    public void ArgumentWithoutNulIsEINVAL()
    {
        using var xs = new ServerScope();
        using RawClient client = xs.Connect();
        Assert.Equal("EINVAL", client.Request(XsdType.Read, Encoding.Latin1.GetBytes("/tool")).Error);
        Assert.Equal("EINVAL", client.Request(XsdType.Write, Encoding.Latin1.GetBytes("/tool")).Error);
        Assert.Equal("EINVAL", client.Request(XsdType.Watch, RawClient.Strings("/tool")).Error);
    }

    [Fact]
    public void DomainPathAndStubs()
    {
        using var xs = new ServerScope();
        using RawClient client = xs.Connect();
        Assert.Equal("/local/domain/3", client.Call(XsdType.GetDomainPath, 0, "3"));
        Assert.Equal("EINVAL", client.ErrorOf(XsdType.GetDomainPath, 0, "three"));
        Assert.Equal("OK", client.Call(XsdType.Resume, 0, "3"));
        Assert.Equal("OK", client.Call(XsdType.SetTarget, 0, "3", "4"));
        Assert.Equal("OK", client.Call(XsdType.Control, 0, "log", "on"));
    }
}
