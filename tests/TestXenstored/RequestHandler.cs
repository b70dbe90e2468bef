using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Text;

namespace TestXenstored;

/// <summary>
/// Answers requests as xenstored 4.17 does for a dom0 socket connection (no quotas, no permission checks:
/// dom0 may do anything). Runs with the tree lock held, so the reply and any watch events it causes are
/// queued in one global order.
/// </summary>
internal sealed class RequestHandler(Store store, FaultInjection faults)
{
    private const string IntroduceDomainEvent = "@introduceDomain";
    private const string ReleaseDomainEvent = "@releaseDomain";

    // Domains that count as introduced; dom0 always is. Guarded by the tree lock.
    private readonly HashSet<uint> introducedDomains = [0];

    public void Handle(Connection connection, Request request)
    {
        WireHeader header = request.Header;
        try
        {
            Transaction? transaction = FindTransaction(connection, header.TransactionId);
            byte[]? reply = Dispatch(connection, transaction, header, request.Payload);
            if (reply is null)
                return;
            // send_reply(): a reply that does not fit is E2BIG (libxenstore then uses DIRECTORY_PART).
            if (reply.Length > WireHeader.PayloadMax)
                throw new XsdException(XsdErrno.E2BIG, $"reply of {reply.Length} bytes");
            connection.Send(header.Encode(reply));
        }
        catch (XsdException e)
        {
            connection.Send((header with { Type = XsdType.Error }).Encode(Payload.Strings(e.Errno.ToString())));
        }
    }

    /// <summary>A reply payload, or null when the handler has sent the reply itself.</summary>
    private byte[]? Dispatch(Connection connection, Transaction? transaction, WireHeader header, byte[] payload)
        => header.Type switch
        {
            XsdType.Read => ViewOf(transaction).Get(PathArgument(payload)).Value,
            XsdType.Write => Write(transaction, payload),
            XsdType.Mkdir => Change(transaction, PathArgument(payload), static (tree, path) => tree.Mkdir(path)),
            XsdType.Rm => Change(transaction, PathArgument(payload), static (tree, path) => tree.Remove(path)),
            XsdType.Directory => Payload.Strings(ViewOf(transaction).ChildNames(PathArgument(payload))),
            XsdType.DirectoryPart => DirectoryPart(transaction, payload),
            XsdType.GetPerms => Payload.Strings(
                ViewOf(transaction).Get(PathArgument(payload)).Permissions.Select(p => p.ToString())),
            XsdType.SetPerms => SetPermissions(transaction, payload),
            XsdType.Watch => Watch(connection, header, payload),
            XsdType.Unwatch => Unwatch(connection, payload),
            XsdType.ResetWatches => ResetWatches(connection),
            XsdType.TransactionStart => TransactionStart(connection, transaction),
            XsdType.TransactionEnd => TransactionEnd(connection, transaction, payload),
            XsdType.GetDomainPath => Payload.Strings($"/local/domain/{DomainIdArgument(payload, 1)}"),
            XsdType.IsDomainIntroduced => Payload.Strings(
                introducedDomains.Contains(DomainIdArgument(payload, 1)) ? "T" : "F"),
            XsdType.Introduce => ChangeDomain(payload, 3, introduce: true),
            XsdType.Release => ChangeDomain(payload, 1, introduce: false),
            // Without a hypervisor there is nothing for these to do; dom0 may send them, so they succeed.
            XsdType.Resume or XsdType.SetTarget or XsdType.Control => Payload.Ok,
            _ => throw new XsdException(XsdErrno.ENOSYS, $"request type {(uint)header.Type}"),
        };

    /// <summary>A header tx_id that names no open transaction is ENOENT for any request (process_message()).</summary>
    private static Transaction? FindTransaction(Connection connection, uint id)
    {
        if (id == 0)
            return null;
        return connection.Transactions.TryGetValue(id, out Transaction? transaction)
            ? transaction
            : throw new XsdException(XsdErrno.ENOENT, $"transaction {id}");
    }

    private TreeEditor ViewOf(Transaction? transaction) => transaction?.View ?? store.View();

    private byte[] Change(Transaction? transaction, Action<TreeEditor> change)
    {
        if (transaction is null)
            store.Change(change);
        else
            transaction.Apply(change);
        return Payload.Ok;
    }

    private byte[] Change(Transaction? transaction, string path, Action<TreeEditor, string> change)
        => Change(transaction, tree => change(tree, path));

    /// <summary>WRITE: the path, a NUL, then the value up to the end of the payload (no NUL of its own).</summary>
    private byte[] Write(Transaction? transaction, byte[] payload)
    {
        int nul = Array.IndexOf(payload, (byte)0);
        if (nul < 0)
            throw new XsdException(XsdErrno.EINVAL, "write without a path");
        string path = XenstorePath.Resolve(Encoding.Latin1.GetString(payload, 0, nul));
        byte[] value = payload[(nul + 1)..];
        return Change(transaction, tree => tree.Write(path, value));
    }

    private byte[] SetPermissions(Transaction? transaction, byte[] payload)
    {
        List<string> arguments = Payload.Arguments(payload, 2);
        string path = XenstorePath.Resolve(arguments[0]);
        ImmutableArray<NodePermission> permissions = [.. arguments.Skip(1).Select(NodePermission.Parse)];
        return Change(transaction, tree => tree.SetPermissions(path, permissions));
    }

    /// <summary>
    /// DIRECTORY_PART "path|offset|": the generation, then whole child names from byte offset
    /// <c>offset</c> of the NUL-separated list that fit, then one more NUL once the list is complete
    /// (send_directory_part()).
    /// </summary>
    private byte[] DirectoryPart(Transaction? transaction, byte[] payload)
    {
        List<string> arguments = Payload.Split(payload);
        if (arguments.Count != 2 || !int.TryParse(arguments[1], NumberStyles.None, CultureInfo.InvariantCulture, out int offset))
            throw new XsdException(XsdErrno.EINVAL, "DIRECTORY_PART wants a path and an offset");
        Node node = ViewOf(transaction).Get(XenstorePath.Resolve(arguments[0]));
        byte[] children = Payload.Strings(node.Children.Keys);
        byte[] generation = Payload.Strings(node.Generation.ToString(CultureInfo.InvariantCulture));
        if (offset >= children.Length)
            return [.. generation, 0];
        int room = WireHeader.PayloadMax - generation.Length - 1;
        int length = 0;
        while (offset + length < children.Length)
        {
            int next = Array.IndexOf(children, (byte)0, offset + length) + 1 - offset;
            if (next > room)
                break;
            length = next;
        }
        bool complete = offset + length == children.Length;
        return [.. generation, .. children.AsSpan(offset, length), .. complete ? [(byte)0] : Array.Empty<byte>()];
    }

    /// <summary>WATCH: acknowledged, then at once one event naming the watch itself.</summary>
    private byte[]? Watch(Connection connection, WireHeader header, byte[] payload)
    {
        List<string> arguments = Payload.Arguments(payload, 2);
        var watch = new Watch(connection, arguments[0], XenstorePath.ResolveWatch(arguments[0]), arguments[1]);
        store.Watches.Add(watch);
        connection.Send(header.Encode(Payload.Ok));
        watch.NotifyRegistered();
        return null;
    }

    private byte[] Unwatch(Connection connection, byte[] payload)
    {
        List<string> arguments = Payload.Arguments(payload, 2);
        store.Watches.Remove(connection, XenstorePath.ResolveWatch(arguments[0]), arguments[1]);
        return Payload.Ok;
    }

    private byte[] ResetWatches(Connection connection)
    {
        store.Watches.RemoveAll(connection);
        connection.Transactions.Clear();
        return Payload.Ok;
    }

    private byte[] TransactionStart(Connection connection, Transaction? current)
    {
        if (current is not null)
            throw new XsdException(XsdErrno.EBUSY, "transactions do not nest");
        uint id = connection.NextTransactionId();
        connection.Transactions.Add(id, store.BeginTransaction(id));
        return Payload.Strings(id.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>"T" commits (EAGAIN on conflict or injected failure), "F" aborts; either way the transaction ends.</summary>
    private byte[] TransactionEnd(Connection connection, Transaction? transaction, byte[] payload)
    {
        if (transaction is null)
            throw new XsdException(XsdErrno.ENOENT, "TRANSACTION_END outside a transaction");
        string argument = Payload.OneArgument(payload);
        if (argument is not ("T" or "F"))
            throw new XsdException(XsdErrno.EINVAL, $"TRANSACTION_END {argument}");
        connection.Transactions.Remove(transaction.Id);
        if (argument == "F")
            return Payload.Ok;
        if (faults.TakeCommitFailure() || !store.TryCommit(transaction))
            throw new XsdException(XsdErrno.EAGAIN, $"transaction {transaction.Id}");
        return Payload.Ok;
    }

    /// <summary>INTRODUCE/RELEASE: no hypervisor to talk to; track the domain and fire the special watch.</summary>
    private byte[] ChangeDomain(byte[] payload, int argumentCount, bool introduce)
    {
        uint domainId = DomainIdArgument(payload, argumentCount);
        if (introduce)
            introducedDomains.Add(domainId);
        else
            introducedDomains.Remove(domainId);
        store.Watches.FireSpecial(introduce ? IntroduceDomainEvent : ReleaseDomainEvent);
        return Payload.Ok;
    }

    private static string PathArgument(byte[] payload) => XenstorePath.Resolve(Payload.OneArgument(payload));

    /// <summary>The first of <paramref name="count"/> arguments, a decimal domain id.</summary>
    private static uint DomainIdArgument(byte[] payload, int count)
    {
        string text = count == 1 ? Payload.OneArgument(payload) : Payload.Arguments(payload, count)[0];
        return uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out uint domainId)
            ? domainId
            : throw new XsdException(XsdErrno.EINVAL, $"domain id '{text}'");
    }
}
