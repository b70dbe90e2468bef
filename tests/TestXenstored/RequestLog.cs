using System;
using System.Text;
using System.Threading;

namespace TestXenstored;

/// <summary>
/// The RecordRequests hooks: each gets a one-line description of every request as it arrives, on the thread
/// serving its connection, so calls for different connections may overlap.
/// </summary>
internal sealed class RequestLog
{
    private readonly Lock gate = new();
    // Replaced, never changed in place, so Record reads it without the lock.
    private volatile Action<string>[] recorders = [];

    public IDisposable Add(Action<string> recorder)
    {
        lock (gate)
            recorders = [.. recorders, recorder];
        return new Registration(this, recorder);
    }

    public void Record(Request request)
    {
        Action<string>[] current = recorders;
        if (current.Length == 0)
            return;
        string description = Describe(request);
        foreach (Action<string> recorder in current)
        {
            try
            {
                recorder(description);
            }
            catch (Exception e)
            {
                // A test's recorder failing must not end the connection it watches; it shows in the test log.
                Console.Error.WriteLine($"TestXenstored: request recorder failed on '{description}': {e}, ignoring");
            }
        }
    }

    /// <summary>
    /// "TYPE tx=N ARG": the xs_wire.h name without XS_, the transaction id and the first argument (left out
    /// when empty, as for TRANSACTION_START).
    /// </summary>
    public static string Describe(Request request)
    {
        WireHeader header = request.Header;
        string firstArgument = FirstArgument(request);
        string description = $"{WireName(header.Type)} tx={header.TransactionId}";
        return firstArgument.Length == 0 ? description : $"{description} {firstArgument}";
    }

    /// <summary>The payload up to its first NUL (all of it if none), as Latin-1.</summary>
    public static string FirstArgument(Request request)
    {
        ReadOnlySpan<byte> payload = request.Payload;
        int nul = payload.IndexOf((byte)0);
        return Encoding.Latin1.GetString(nul < 0 ? payload : payload[..nul]);
    }

    /// <summary>TransactionStart becomes TRANSACTION_START; a type the enum lacks stays a number.</summary>
    private static string WireName(XsdType type)
    {
        if (!Enum.IsDefined(type))
            return ((uint)type).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var name = new StringBuilder();
        foreach (char c in type.ToString())
        {
            if (char.IsUpper(c) && name.Length > 0)
                name.Append('_');
            name.Append(char.ToUpperInvariant(c));
        }
        return name.ToString();
    }

    private void Remove(Action<string> recorder)
    {
        lock (gate)
        {
            int index = Array.IndexOf(recorders, recorder);
            if (index >= 0)
                recorders = [.. recorders.AsSpan(0, index), .. recorders.AsSpan(index + 1)];
        }
    }

    private sealed class Registration(RequestLog log, Action<string> recorder) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
                log.Remove(recorder);
        }
    }
}
