using System.Collections.Generic;

namespace BlockDiskseq.Reliability;

/// <summary>What one trial broke, by the kinds docs/reliability.md counts.</summary>
internal sealed class Verdict
{
    private readonly List<string> problems = [];

    public IReadOnlyList<string> Problems => problems;
    public bool Passed => problems.Count == 0;
    public bool Leak { get; private set; }
    public bool WrongDisk { get; private set; }
    public bool UnexpectedExit { get; private set; }

    public void Fail(string problem) => problems.Add(problem);

    public void LeakFound(string problem)
    {
        Leak = true;
        problems.Add("leak: " + problem);
    }

    public void WrongDiskFound(string problem)
    {
        WrongDisk = true;
        problems.Add("WRONG DISK: " + problem);
    }

    public void UnexpectedExitFound(string problem)
    {
        UnexpectedExit = true;
        problems.Add("unexpected exit: " + problem);
    }

    public override string ToString() => string.Join("; ", problems);
}
