using System;
using System.Globalization;

namespace TestXenstored;

/// <summary>
/// One permission entry, on the wire a letter and a decimal domain id ("r3"). In a node's list the first
/// entry names the owner, and its access is what every domain not listed gets.
/// </summary>
internal readonly record struct NodePermission(NodeAccess Access, uint DomainId)
{
    /// <summary>Owned by dom0, nobody else may read or write: what xenstored gives "/".</summary>
    public static readonly NodePermission Dom0Only = new(NodeAccess.None, 0);

    public override string ToString() => $"{(char)Access}{DomainId.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Strict: one of n r w b, then decimal digits only; anything else is EINVAL.</summary>
    public static NodePermission Parse(string text)
    {
        if (text.Length < 2 || text[0] is not ('n' or 'r' or 'w' or 'b'))
            throw Invalid(text);
        ReadOnlySpan<char> digits = text.AsSpan(1);
        foreach (char c in digits)
        {
            if (!char.IsAsciiDigit(c))
                throw Invalid(text);
        }
        if (!uint.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out uint domainId))
            throw Invalid(text);
        return new NodePermission((NodeAccess)text[0], domainId);
    }

    private static XsdException Invalid(string text) => new(XsdErrno.EINVAL, $"invalid permission '{text}'");
}
