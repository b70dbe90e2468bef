using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;

namespace XenstoreGen;

/// <summary>
/// C types to blittable C# types, as ClangSharp maps them on LP64 Linux: pointers stay pointers (char* is
/// byte*; the caller frees what libxenstore allocates), typedefs are desugared, long is nint.
/// </summary>
internal sealed partial class CTypes(IReadOnlyDictionary<string, string> typedefs)
{
    private static readonly Dictionary<string, string> Builtins = new()
    {
        ["void"] = "void", ["_Bool"] = "bool", ["char"] = "byte", ["signed char"] = "sbyte",
        ["unsigned char"] = "byte", ["short"] = "short", ["unsigned short"] = "ushort",
        ["int"] = "int", ["unsigned int"] = "uint", ["long"] = "nint", ["unsigned long"] = "nuint",
        ["long long"] = "long", ["unsigned long long"] = "ulong", ["float"] = "float", ["double"] = "double",
    };

    // Qualifiers change nothing in a blittable signature.
    [GeneratedRegex(@"\b(const|volatile|restrict)\b")]
    private static partial Regex Qualifier();

    [GeneratedRegex(@"^(?<element>[^\[]+?)\s*\[(?<length>\d+)\]$")]
    private static partial Regex Array();

    public string Map(string cType)
    {
        string unqualified = Qualifier().Replace(cType, " ");
        string pointers = new('*', unqualified.Count(c => c == '*'));
        string name = string.Join(' ', unqualified.Replace('*', ' ').Split(' ', StringSplitOptions.RemoveEmptyEntries));
        if (Builtins.TryGetValue(name, out var builtin))
            return builtin + pointers;
        if (name.StartsWith("struct ", StringComparison.Ordinal) || name.StartsWith("enum ", StringComparison.Ordinal))
            return name[(name.IndexOf(' ') + 1)..] + pointers;
        if (typedefs.TryGetValue(name, out var underlying))
            return Map(underlying) + pointers;
        throw new NotSupportedException($"C type '{cType}' has no blittable mapping");
    }

    /// <summary>A fixed-size array field (<c>char req[1024]</c>): element type and length; null if not an array.</summary>
    public (string Element, int Length)? MapArray(string cType)
    {
        var match = Array().Match(cType.Trim());
        if (!match.Success)
            return null;
        string element = Map(match.Groups["element"].Value);
        return Builtins.ContainsValue(element) && element != "void"
            ? (element, int.Parse(match.Groups["length"].Value))
            : throw new NotSupportedException($"C type '{cType}': fixed buffers hold primitives only");
    }
}
