using System.Linq;
using System.Threading.Tasks;
using Xunit;

namespace TestXenstored.Tests;

public class ConcurrencyTests
{
    // What the hotplug integration tests do: many clients at once against one server.
    private const int Clients = 16;

    [Fact]
    public void ConcurrentReadModifyWriteTransactionsLoseNoUpdate()
    {
        const int incrementsPerClient = 25;
        // Each client retries on EAGAIN as libxenstore users do; every retry means another client
        // committed first, so the total of retries is bounded by the total of commits.
        const int maxAttempts = Clients * incrementsPerClient;
        using var xs = new ServerScope();
        xs.Server.Write("/counter", "0");
        Parallel.For(0, Clients, new ParallelOptions { MaxDegreeOfParallelism = Clients }, _ =>
        {
            using RawClient client = xs.Connect();
            for (int i = 0; i < incrementsPerClient; i++)
            {
                int attempt = 0;
                while (true)
                {
                    Assert.True(++attempt <= maxAttempts, "increment starved");
                    uint tx = client.StartTransaction();
                    int value = int.Parse(client.Call(XsdType.Read, tx, "/counter"));
                    client.Write("/counter", (value + 1).ToString(), tx);
                    string? error = client.EndTransaction(tx);
                    if (error is null)
                        break;
                    Assert.Equal("EAGAIN", error);
                }
            }
        });
        Assert.Equal((Clients * incrementsPerClient).ToString(), xs.Server.Read("/counter"));
    }

    [Fact]
    public async Task ParallelToolsAllSucceed()
    {
        using var xs = new ServerScope();
        ToolResult[] results = await Task.WhenAll(Enumerable.Range(0, Clients).Select(i =>
            xs.ToolAsync("write", $"/backend/vbd/{i}/state", "2", $"/backend/vbd/{i}/params", $"/img/{i}")));
        Assert.All(results, r => Assert.Equal(0, r.ExitCode));
        Assert.Equal(Clients, xs.Server.List("/backend/vbd")!.Count);
        for (int i = 0; i < Clients; i++)
            Assert.Equal($"/img/{i}", xs.Server.Read($"/backend/vbd/{i}/params"));
    }
}
