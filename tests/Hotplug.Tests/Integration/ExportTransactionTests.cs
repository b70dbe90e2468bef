using System;
using System.Collections.Generic;
using System.Linq;
using BlockDiskseq.TestSupport;
using Xunit;

namespace BlockDiskseq.Tests.Integration;

/// <summary>
/// blkback reads diskseq right after physical-device (docs/protocol-facts.md §6), so both are written in one
/// transaction with the record, and the transaction re-checks what add read before it. The request log of
/// the test server (XenstoreServer.RecordRequests) shows what was sent in which transaction; its hook also
/// makes another writer change a node in the middle of add's transaction.
/// </summary>
[Collection(LoopDeviceCollection.Name)]
public sealed class ExportTransactionTests : IDisposable
{
    private readonly HotplugHarness world = new();

    public void Dispose() => world.Dispose();

    [IntegrationTheory]
    [InlineData(BlkbackFlavour.Series)]
    [InlineData(BlkbackFlavour.Mainline)]
    public void PhysicalDeviceDiskseqAndRecordAreCommittedInOneTransaction(BlkbackFlavour flavour)
    {
        TestImage image = world.Image();
        TestBackend be = world.Backend(1, 51712, image.Path, "w", flavour);
        var requests = new List<string>();
        HotplugResult add;
        using (world.Server.RecordRequests(line => { lock (requests) requests.Add(line); }))
            add = world.Run(be, "add");

        Assert.True(add.ExitCode == 0, add.ToString());
        string tx = TransactionOfOnlyWrite(requests, be, "physical-device");
        Assert.NotEqual("0", tx);
        Assert.Equal(tx, TransactionOfOnlyWrite(requests, be, "diskseq"));
        Assert.Equal(tx, TransactionOfOnlyWrite(requests, be, "block-diskseq/layers"));
        Assert.Contains($"TRANSACTION_END tx={tx} T", requests);
        be.Blkback!.Shutdown();
        world.Succeed(be, "remove");
    }

    [IntegrationFact]
    public void BackendLeavingInitWaitDuringTheTransactionFailsTheAdd()
    {
        TestImage image = world.Image();
        TestBackend be = world.Backend(1, 51712, image.Path, "w", blkback: null);

        (HotplugResult add, int transactions) = AddWhileAnotherWriterActs(be, () => be.Write("state", "5"));

        Assert.Equal(1, add.ExitCode);
        Assert.True(transactions >= 2, $"the commit should have conflicted and been retried ({transactions} transaction(s))");
        Assert.Contains("backend state is 5: the toolstack is tearing the device down", be["hotplug-error"]);
        AssertNothingExported(be, image);
    }

    [IntegrationFact]
    public void PhysicalDeviceWrittenByAnotherAddDuringTheTransactionFailsTheAdd()
    {
        TestImage image = world.Image();
        TestBackend be = world.Backend(1, 51712, image.Path, "w", blkback: null);

        (HotplugResult add, int transactions) = AddWhileAnotherWriterActs(be, () => be.Write("physical-device", "8:0"));

        Assert.Equal(1, add.ExitCode);
        Assert.True(transactions >= 2, $"the commit should have conflicted and been retried ({transactions} transaction(s))");
        Assert.Contains("physical-device became \"8:0\" while adding", be["hotplug-error"]);
        Assert.Equal("8:0", be["physical-device"]); // the other writer's, untouched
        Assert.Null(be["diskseq"]);
        Assert.Null(be["block-diskseq/layers"]);
        Assert.Equal(0, HotplugHarness.LoopsLeft(image));
    }

    /// <summary>
    /// Runs add (no wait: there is no blkback); when its transaction writes diskseq, another writer acts
    /// outside it, so the commit conflicts. Returns the result and how many transactions add started.
    /// </summary>
    private (HotplugResult Add, int Transactions) AddWhileAnotherWriterActs(TestBackend be, Action otherWriter)
    {
        int acted = 0, transactions = 0;
        HotplugResult add;
        using (world.Server.RecordRequests(line =>
        {
            if (line.StartsWith("TRANSACTION_START", StringComparison.Ordinal))
                System.Threading.Interlocked.Increment(ref transactions);
            if (line.StartsWith("WRITE tx=", StringComparison.Ordinal) && !line.StartsWith("WRITE tx=0 ", StringComparison.Ordinal)
                && line.EndsWith($"{be.Relative}/diskseq", StringComparison.Ordinal)
                && System.Threading.Interlocked.Exchange(ref acted, 1) == 0)
                otherWriter();
        }))
            add = world.Run(be, "add", "--no-wait");
        Assert.Equal(1, acted);
        return (add, transactions);
    }

    private static void AssertNothingExported(TestBackend be, TestImage image)
    {
        foreach (string key in (string[])["physical-device", "diskseq", "block-diskseq/layers", "physical-device-path", "node"])
            Assert.Null(be[key]);
        Assert.Equal(0, HotplugHarness.LoopsLeft(image));
    }

    /// <summary>The transaction id of the one WRITE of the backend's KEY (requests name it relative to dom0's home).</summary>
    private static string TransactionOfOnlyWrite(List<string> requests, TestBackend be, string key)
    {
        string[] writes = requests.Where(r => r.StartsWith("WRITE ", StringComparison.Ordinal)
                                             && r.EndsWith($"{be.Relative}/{key}", StringComparison.Ordinal)).ToArray();
        Assert.True(writes.Length == 1, $"writes of {key}: {string.Join("; ", writes)}");
        return writes[0].Split(' ')[1]["tx=".Length..];
    }
}
