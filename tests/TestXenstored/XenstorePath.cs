using System;

namespace TestXenstored;

/// <summary>
/// Path rules of xenstored 4.17 (canonicalize() and is_valid_nodename()): absolute paths start with '/',
/// anything else is relative to the connection's domain home; '@' names exist only for watches.
/// </summary>
internal static class XenstorePath
{
    /// <summary>Socket connections (and in-process callers) are dom0.</summary>
    public const string DomainHome = "/local/domain/0";

    public const int AbsoluteMax = 3072; // XENSTORE_ABS_PATH_MAX
    public const int RelativeMax = 2048; // XENSTORE_REL_PATH_MAX

    /// <summary>The absolute node path a client's path names; EINVAL if it is not a valid node name.</summary>
    public static string Resolve(string path)
    {
        if (path.StartsWith('@'))
            throw Invalid(path);
        bool relative = !path.StartsWith('/');
        if (relative && path.Length > RelativeMax)
            throw Invalid(path);
        string absolute = relative ? DomainHome + "/" + path : path;
        if (!IsValidAbsolute(absolute))
            throw Invalid(path);
        return absolute;
    }

    /// <summary>A watch may also name a special event such as <c>@introduceDomain</c>; those stay as they are.</summary>
    public static string ResolveWatch(string path)
    {
        if (!path.StartsWith('@'))
            return Resolve(path);
        if (path.Length > RelativeMax)
            throw Invalid(path);
        return path;
    }

    public static bool IsRelative(string path) => !path.StartsWith('/') && !path.StartsWith('@');

    /// <summary>The path a relative watch reports for an absolute event path below the domain home.</summary>
    public static string ToRelative(string absolute) => absolute[(DomainHome.Length + 1)..];

    public static string Parent(string absolute)
    {
        int slash = absolute.LastIndexOf('/');
        return slash == 0 ? "/" : absolute[..slash];
    }

    public static string Name(string absolute) => absolute[(absolute.LastIndexOf('/') + 1)..];

    public static string Child(string parent, string name) => parent == "/" ? "/" + name : parent + "/" + name;

    public static string[] Segments(string absolute)
        => absolute == "/" ? [] : absolute[1..].Split('/');

    /// <summary>True when <paramref name="path"/> is <paramref name="prefix"/> or a descendant of it.</summary>
    public static bool IsAtOrBelow(string path, string prefix)
    {
        if (prefix == "/")
            return path.StartsWith('/');
        return path.StartsWith(prefix, StringComparison.Ordinal)
            && (path.Length == prefix.Length || path[prefix.Length] == '/');
    }

    private static bool IsValidAbsolute(string path)
    {
        if (path.Length > AbsoluteMax)
            return false;
        if (path != "/" && path.EndsWith('/'))
            return false;
        if (path.Contains("//", StringComparison.Ordinal))
            return false;
        foreach (char c in path)
        {
            if (!IsAllowed(c))
                return false;
        }
        return true;
    }

    // valid_chars(): "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-/_@"
    private static bool IsAllowed(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '/' or '_' or '@';

    private static XsdException Invalid(string path) => new(XsdErrno.EINVAL, $"invalid path '{path}'");
}
