namespace XenstoreInterop;

/// <summary>An open Xenstore transaction; valid only inside the body passed to <see cref="Xenstore.Transact"/>.</summary>
public sealed class XenstoreTransaction
{
    internal XenstoreTransaction(Xenstore owner, uint id)
    {
        Owner = owner;
        Id = id;
    }

    internal Xenstore Owner { get; }
    internal uint Id { get; }
    /// <summary>False once the transaction was committed or aborted.</summary>
    internal bool IsOpen { get; set; } = true;
}
