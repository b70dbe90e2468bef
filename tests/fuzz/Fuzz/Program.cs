using System;
using System.IO;
using SharpFuzz;

namespace BlockDiskseq.Fuzz;

/// <summary>
/// Fuzz parsers|add            under afl-fuzz (SharpFuzz's out-of-process loop: one process, many inputs)
/// Fuzz replay parsers|add DIR  every file of DIR through the target once, without afl (the crash triage)
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args is [var target] && Target(target) is { } run)
        {
            Fuzzer.OutOfProcess.Run(stream =>
            {
                using var buffer = new MemoryStream();
                stream.CopyTo(buffer);
                run(buffer.ToArray());
            });
            return 0;
        }
        if (args is ["replay", var name, var directory] && Target(name) is { } replay)
        {
            int failed = 0;
            foreach (string file in Directory.EnumerateFiles(directory))
            {
                try
                {
                    replay(File.ReadAllBytes(file));
                }
                catch (Exception e)
                {
                    failed++;
                    Console.WriteLine($"{file}: {e}");
                }
            }
            Console.WriteLine($"{failed} of the inputs in {directory} failed");
            return failed == 0 ? 0 : 1;
        }
        Console.Error.WriteLine("usage: Fuzz parsers|add | Fuzz replay parsers|add DIR");
        return 64;
    }

    private static AddTarget? add;

    private static Action<byte[]>? Target(string name) => name switch
    {
        "parsers" => input => ParserTarget.Run(input),
        "add" => input => (add ??= new AddTarget()).Run(input),
        _ => null,
    };
}
