using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.Json;

namespace XenstoreGen;

internal sealed record GeneratorOptions(
    IReadOnlyList<string> Headers,        // declarations are bound only from these files (path suffixes)
    IReadOnlyList<string> MacroPrefixes,  // macros are bound only with these name prefixes
    string LibraryName, string Namespace, string ClassName,
    IReadOnlyList<string> Banner);        // comment lines at the top of the file

/// <summary>
/// Turns <c>clang -Xclang -ast-dump=json -fsyntax-only</c> and <c>clang -dM -E</c> output into C#:
/// structs and enums, then one static class with the macros as consts and a [LibraryImport] per function.
/// </summary>
internal static class Generator
{
    public static string Generate(string astJson, string macroText, GeneratorOptions options)
    {
        // Initialiser expressions in system headers nest deeper than JsonDocument's default of 64.
        using var document = JsonDocument.Parse(astJson, new JsonDocumentOptions { MaxDepth = 1024 });
        var typedefs = new Dictionary<string, string>();
        var types = new CTypes(typedefs);
        var declared = new Dictionary<string, string>();  // struct/enum name to its C# text, in source order
        var enumConstants = new Dictionary<string, string>();
        var functions = new StringBuilder();
        var tracker = new LocationTracker();
        foreach (var node in document.RootElement.GetProperty("inner").EnumerateArray())
        {
            string file = tracker.FileOf(node);
            string kind = Text(node, "kind");
            if (kind == "TypedefDecl")  // from every file: uint32_t comes from a system header
                typedefs[Text(node, "name")] = Underlying(node.GetProperty("type"));
            if (!options.Headers.Any(h => file == h || file.EndsWith("/" + h, StringComparison.Ordinal)))
                continue;
            if (kind == "FunctionDecl")
                functions.Append(Function(node, types));
            else if (kind == "EnumDecl")
                declared[Text(node, "name")] = Enum(node, enumConstants);
            // A struct may be declared before its definition: the definition wins, a repeat declaration does not.
            else if (kind == "RecordDecl" && (IsDefinition(node) || !declared.ContainsKey(Text(node, "name"))))
                declared[Text(node, "name")] = Record(node, types);
            // VarDecl (header-private tables such as xsd_errors) has nothing to bind.
        }
        var output = new StringBuilder();
        foreach (var line in options.Banner)
            output.Append($"// {line}\n");
        output.Append($"\nusing System.Runtime.InteropServices;\n\nnamespace {options.Namespace};\n");
        foreach (var text in declared.Values)
            output.Append('\n').Append(text);
        output.Append($"\ninternal static unsafe partial class {options.ClassName}\n{{\n");
        output.Append($"    internal const string LibraryName = \"{options.LibraryName}\";\n");
        string constants = Macros.Bind(macroText, options.MacroPrefixes, enumConstants);
        output.Append(constants.Length > 0 ? "\n" + constants : "");
        return output.Append(functions).Append("}\n").ToString();
    }

    // C _Bool is one byte; the default bool marshalling is the 4-byte Win32 BOOL.
    private static string Function(JsonElement node, CTypes types)
    {
        string name = Text(node, "name");
        if (node.TryGetProperty("variadic", out var variadic) && variadic.GetBoolean())
            throw new NotSupportedException($"{name}: variadic functions cannot be bound");
        string returnType = types.Map(ReturnType(Text(node.GetProperty("type"), "qualType")));
        var parameters = Inner(node, "ParmVarDecl").Select((p, i) =>
        {
            string type = types.Map(Text(p.GetProperty("type"), "qualType"));
            string parameter = $"{type} {Escape(p.TryGetProperty("name", out var n) ? n.GetString()! : $"param{i}")}";
            return type == "bool" ? "[MarshalAs(UnmanagedType.U1)] " + parameter : parameter;
        });
        return "\n    [LibraryImport(LibraryName, SetLastError = true)]\n"
             + (returnType == "bool" ? "    [return: MarshalAs(UnmanagedType.U1)]\n" : "")
             + $"    internal static partial {returnType} {name}({string.Join(", ", parameters)});\n";
    }

    private static string Record(JsonElement node, CTypes types)
    {
        string name = Text(node, "name");
        if (Text(node, "tagUsed") != "struct")
            throw new NotSupportedException($"{name}: only structs are bound");
        if (!IsDefinition(node))
            return $"internal partial struct {name}\n{{\n}}\n";  // opaque: only ever used through a pointer
        var fields = Inner(node, "FieldDecl").Select(f =>
        {
            string type = Text(f.GetProperty("type"), "qualType"), field = Escape(Text(f, "name"));
            return types.MapArray(type) is var (element, length)
                ? $"    public fixed {element} {field}[{length}];\n"
                : $"    public {types.Map(type)} {field};\n";
        }).ToList();
        bool isUnsafe = fields.Any(f => f.Contains('*') || f.Contains(" fixed "));
        return $"[StructLayout(LayoutKind.Sequential)]\ninternal {(isUnsafe ? "unsafe " : "")}partial struct {name}\n{{\n"
             + string.Concat(fields) + "}\n";
    }

    // Enumerators without an initialiser continue from the previous value, as in C.
    private static string Enum(JsonElement node, Dictionary<string, string> enumConstants)
    {
        string name = Text(node, "name");
        var output = new StringBuilder($"internal enum {name}\n{{\n");
        long next = 0;
        foreach (var constant in Inner(node, "EnumConstantDecl"))
        {
            var explicitValue = Inner(constant, "ConstantExpr").Select(e => Text(e, "value")).FirstOrDefault();
            long value = explicitValue is null ? next : long.Parse(explicitValue);
            output.Append($"    {Text(constant, "name")} = {value},\n");
            enumConstants[Text(constant, "name")] = name;
            next = value + 1;
        }
        return output.Append("}\n").ToString();
    }

    /// <summary>The return type of a function type such as <c>char **(struct xs_handle *, unsigned int *)</c>.</summary>
    internal static string ReturnType(string functionType)
    {
        for (int i = functionType.Length - 1, depth = 0; i >= 0; i--)
        {
            depth += functionType[i] == ')' ? 1 : functionType[i] == '(' ? -1 : 0;
            if (depth == 0 && functionType[i] == '(')
                return functionType[..i].Trim();
        }
        throw new NotSupportedException($"not a function type: {functionType}");
    }

    private static bool IsDefinition(JsonElement node)
        => node.TryGetProperty("completeDefinition", out var complete) && complete.GetBoolean();

    private static string Underlying(JsonElement type)
        => type.TryGetProperty("desugaredQualType", out var desugared) ? desugared.GetString()! : Text(type, "qualType");

    private static IEnumerable<JsonElement> Inner(JsonElement node, string kind)
        => node.TryGetProperty("inner", out var inner)
            ? inner.EnumerateArray().Where(e => Text(e, "kind") == kind)
            : Enumerable.Empty<JsonElement>();

    private static string Text(JsonElement node, string property)
        => node.TryGetProperty(property, out var value) ? value.GetString()!
            : throw new NotSupportedException($"no \"{property}\" in AST node {node.GetRawText()[..Math.Min(120, node.GetRawText().Length)]}");

    // The C names in the header that are C# keywords get an '@'.
    private static readonly HashSet<string> Keywords = new((
        "base bool byte checked decimal delegate event explicit fixed foreach implicit in internal is lock namespace new null "
        + "object operator out override params private protected public readonly ref sbyte sealed stackalloc string this "
        + "throw try typeof uint ulong unchecked ushort using virtual as abstract catch class false finally interface true")
        .Split(' '));

    private static string Escape(string name) => Keywords.Contains(name) ? "@" + name : name;
}
