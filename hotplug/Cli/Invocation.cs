using System;
using BlockDiskseq.Backend;
using BlockDiskseq.Reporting;

namespace BlockDiskseq.Cli;

internal enum Verb { Add, Remove, Status }

/// <summary>
/// What to do, from argv and the environment. libxl's form: argv[1] = add|remove, XENBUS_PATH (relative),
/// XENBUS_TYPE = vbd, XENBUS_BASE_PATH = backend (docs/protocol-facts.md §1). Manual form: --backend PATH.
/// </summary>
internal sealed record Invocation(Verb Verb, BackendPath? Backend, bool NoWait, bool Verbose, Settings Settings)
{
    internal const string XenbusPathVariable = "XENBUS_PATH";
    internal const string XenbusTypeVariable = "XENBUS_TYPE";
    internal const string XenbusBasePathVariable = "XENBUS_BASE_PATH";

    /// <summary>
    /// Throws UsageException for a bad command line (exit 64) and HotplugFailure when libxl's environment is
    /// missing or malformed (exit 1: the caller is a toolstack, not a person).
    /// </summary>
    internal static Invocation Parse(string[] args, Func<string, string?> env)
    {
        if (args.Length == 0)
            throw new UsageException("missing command");
        Verb verb = args[0] switch
        {
            "add" => Verb.Add,
            "remove" => Verb.Remove,
            "status" => Verb.Status,
            _ => throw new UsageException($"unknown command {Printable.Quote(args[0])}"),
        };
        Options options = Options.Parse(verb, args.AsSpan(1));
        Settings settings = Settings.FromEnvironment(env);
        if (options.Timeout is string timeout)
            settings = settings with { Timeout = Settings.ParseTimeout(timeout, "--timeout") };
        BackendPath? backend = verb == Verb.Status
            ? (options.Backend is null ? null : ParseBackend(options.Backend, "status PATH"))
            : ParseBackend(options.Backend ?? RequireXenbusPath(env), options.Backend is null ? XenbusPathVariable : "--backend");
        if (verb != Verb.Status)
            CheckXenbusKind(env);
        return new Invocation(verb, backend, options.NoWait, options.Verbose, settings);
    }

    private static string RequireXenbusPath(Func<string, string?> env)
        => env(XenbusPathVariable) is { Length: > 0 } path
            ? path
            : throw new HotplugFailure($"{XenbusPathVariable} is not set: libxl sets it; by hand, pass --backend PATH");

    private static BackendPath ParseBackend(string text, string source)
        => BackendPath.TryParse(text, out BackendPath? backend)
            ? backend
            : throw new HotplugFailure($"{source} {Printable.Quote(text)} is not a vbd backend path "
                + "(backend/vbd/DOMID/DEVID or /local/domain/N/backend/vbd/DOMID/DEVID)");

    /// <summary>libxl sets these for every vbd script; any other value means we were run for another device kind.</summary>
    private static void CheckXenbusKind(Func<string, string?> env)
    {
        if (env(XenbusTypeVariable) is string type && type != BackendNodes.VbdType)
            throw new HotplugFailure($"{XenbusTypeVariable} is {Printable.Quote(type)}: block-diskseq serves vbd backends only");
        if (env(XenbusBasePathVariable) is string basePath && basePath != BackendNodes.BackendDirectory)
            throw new HotplugFailure($"{XenbusBasePathVariable} is {Printable.Quote(basePath)}, expected \"{BackendNodes.BackendDirectory}\"");
    }

    /// <summary>The options after the verb, by hand: the command is small (dotnet-aot.md 6: no System.CommandLine).</summary>
    private sealed record Options(string? Backend, string? Timeout, bool NoWait, bool Verbose)
    {
        internal static Options Parse(Verb verb, ReadOnlySpan<string> args)
        {
            var options = new Options(null, null, false, false);
            for (int i = 0; i < args.Length; i++)
            {
                string arg = args[i];
                options = (arg, verb) switch
                {
                    ("--verbose", _) => options with { Verbose = true },
                    ("--no-wait", Verb.Add) => options with { NoWait = true },
                    ("--backend", not Verb.Status) => options with { Backend = Value(args, ref i) },
                    ("--timeout", not Verb.Status) => options with { Timeout = Value(args, ref i) },
                    (_, Verb.Status) when !arg.StartsWith('-') && options.Backend is null => options with { Backend = arg },
                    _ => throw new UsageException($"unexpected argument {Printable.Quote(arg)} for {verb.ToString().ToLowerInvariant()}"),
                };
            }
            return options;
        }

        private static string Value(ReadOnlySpan<string> args, ref int i)
            => ++i < args.Length ? args[i] : throw new UsageException($"{args[i - 1]} needs a value");
    }
}
