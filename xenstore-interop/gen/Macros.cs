using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace XenstoreGen;

/// <summary>
/// Object-like macros from <c>clang -dM -E</c> (the AST has none) as consts: integer literals typed by
/// their C suffix, literal shifts such as <c>(1UL&lt;&lt;0)</c>, string literals and enum-constant aliases.
/// </summary>
internal static partial class Macros
{
    // C integer suffix to the C# type of the literal on LP64, where long is nint.
    private static readonly Dictionary<string, string> SuffixTypes = new()
    {
        ["u"] = "uint", ["l"] = "nint", ["ul"] = "nuint", ["lu"] = "nuint", ["ll"] = "long", ["ull"] = "ulong", ["llu"] = "ulong",
    };

    [GeneratedRegex(@"^#define\s+(?<name>[A-Za-z_]\w*)(?<function>\()?\s*(?<body>.*)$")]
    private static partial Regex Define();

    [GeneratedRegex(@"^(?<digits>0[xX][0-9a-fA-F]+|\d+)(?<suffix>[uUlL]*)$")]
    private static partial Regex Integer();

    [GeneratedRegex(@"^(?<left>\w+)\s*<<\s*(?<right>\d+)$")]
    private static partial Regex Shift();

    public static string Bind(string macroText, IReadOnlyList<string> prefixes, IReadOnlyDictionary<string, string> enumOf)
    {
        var lines = new List<(string Name, string Line)>();
        foreach (var define in macroText.Split('\n').Select(l => Define().Match(l.TrimEnd())))
        {
            string name = define.Groups["name"].Value, body = define.Groups["body"].Value.Trim();
            if (define.Success && !define.Groups["function"].Success && prefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal)))
                lines.Add((name, Const(name, body, enumOf)));
        }
        // -dM prints macros in hash order: sorted, the file is stable.
        return string.Concat(lines.OrderBy(l => l.Name, StringComparer.Ordinal).Select(l => l.Line + "\n"));
    }

    private static string Const(string name, string body, IReadOnlyDictionary<string, string> enumOf)
    {
        string expression = body;
        while (expression.Length >= 2 && expression[0] == '(' && expression[^1] == ')')
            expression = expression[1..^1].Trim();
        var shift = Shift().Match(expression);
        (string Type, string Value)? bound =
            body.Length >= 2 && body[0] == '"' && body[^1] == '"' ? ("string", body)
            : Literal(expression) is var (type, digits, _) ? (type, digits)
            : shift.Success && Literal(shift.Groups["left"].Value) is var (shiftType, _, left)
                ? (shiftType, (left << int.Parse(shift.Groups["right"].Value)).ToString(CultureInfo.InvariantCulture))
            : enumOf.TryGetValue(expression, out var enumName) ? (enumName, $"{enumName}.{expression}")
            : null;
        if (bound is not var (constType, value))
            return $"    // not bound (not a literal): #define {name} {body}";
        return $"    internal const {constType} {name} = {value};" + (value == body ? "" : $" // {body}");
    }

    // An unsuffixed literal is int if it fits, as in C, else unsigned int (hexadecimal only) or long.
    private static (string Type, string Digits, ulong Value)? Literal(string text)
    {
        var match = Integer().Match(text);
        if (!match.Success)
            return null;
        string digits = match.Groups["digits"].Value, suffix = match.Groups["suffix"].Value.ToLowerInvariant();
        bool hex = digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        ulong value = hex ? ulong.Parse(digits[2..], NumberStyles.AllowHexSpecifier) : ulong.Parse(digits, CultureInfo.InvariantCulture);
        if (suffix.Length > 0)
            return SuffixTypes.TryGetValue(suffix, out var type) ? (type, digits, value) : null;
        return (value <= int.MaxValue ? "int" : hex && value <= uint.MaxValue ? "uint" : "long", digits, value);
    }
}
