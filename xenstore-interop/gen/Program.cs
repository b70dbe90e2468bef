using System;
using System.IO;
using System.Linq;

namespace XenstoreGen;

/// <summary>
/// XenstoreGen --ast AST.json --macros MACROS.h --out FILE.cs --header H... --macro-prefix P...
///             --library SONAME --namespace NS --class NAME [--banner LINE]...
/// Run by ../regenerate, which makes the AST and macro dumps with clang.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        try
        {
            var pairs = args.Chunk(2).Select(p => p.Length == 2 && p[0].StartsWith("--", StringComparison.Ordinal)
                ? (Option: p[0], Value: p[1]) : throw new ArgumentException($"expected --option VALUE, got '{p[0]}'")).ToList();
            string[] All(string option) => pairs.Where(p => p.Option == option).Select(p => p.Value).ToArray();
            string One(string option) => All(option) is [var value] ? value : throw new ArgumentException($"{option} VALUE is required once");
            var options = new GeneratorOptions(All("--header"), All("--macro-prefix"), One("--library"), One("--namespace"),
                                               One("--class"), All("--banner"));
            string output = Generator.Generate(File.ReadAllText(One("--ast")), File.ReadAllText(One("--macros")), options);
            File.WriteAllText(One("--out"), output);
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or IOException)
        {
            Console.Error.WriteLine($"XenstoreGen: {e.Message}");
            return 1;
        }
    }
}
