using System;
using System.Collections.Generic;
using System.Linq;

namespace BlockDiskseq.Bench;

/// <summary>A set of latencies in milliseconds.</summary>
internal sealed class Sample(string name, IReadOnlyList<double> values)
{
    public string Name { get; } = name;
    public IReadOnlyList<double> Values { get; } = values;
    public double Median => Percentile(0.5);
    public double P90 => Percentile(0.9);
    public double Min => Values.Min();
    public double Max => Values.Max();

    /// <summary>Nearest-rank percentile.</summary>
    public double Percentile(double p)
    {
        double[] sorted = [.. Values.Order()];
        int rank = Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1);
        return sorted[rank];
    }
}
