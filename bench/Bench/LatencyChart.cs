using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace BlockDiskseq.Bench;

/// <summary>A strip chart of each sample on a log-scale millisecond axis, with its median marked: plain SVG, no library.</summary>
internal static class LatencyChart
{
    private const int Width = 760, RowHeight = 46, Left = 190, Right = 20, Top = 30;

    public static string Svg(IReadOnlyList<Sample> samples)
    {
        double lo = Math.Pow(10, Math.Floor(Math.Log10(samples.Min(s => s.Min))));
        double hi = Math.Pow(10, Math.Ceiling(Math.Log10(samples.Max(s => s.Max))));
        int height = Top + RowHeight * samples.Count + 40;
        double X(double ms) => Left + (Width - Left - Right) * (Math.Log10(ms) - Math.Log10(lo)) / (Math.Log10(hi) - Math.Log10(lo));
        string F(double v) => v.ToString("F1", CultureInfo.InvariantCulture);

        var svg = new StringBuilder();
        svg.AppendLine($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">");
        svg.AppendLine($"<rect width=\"{Width}\" height=\"{height}\" fill=\"white\"/>");
        svg.AppendLine($"<text x=\"{Left}\" y=\"18\" font-weight=\"bold\">latency per run (ms, log scale); bar = median</text>");
        for (double tick = lo; tick <= hi * 1.0001; tick *= 10)
        {
            svg.AppendLine($"<line x1=\"{F(X(tick))}\" y1=\"{Top}\" x2=\"{F(X(tick))}\" y2=\"{height - 30}\" stroke=\"#ccc\"/>");
            svg.AppendLine($"<text x=\"{F(X(tick))}\" y=\"{height - 14}\" text-anchor=\"middle\">{tick.ToString(CultureInfo.InvariantCulture)}</text>");
        }
        for (int row = 0; row < samples.Count; row++)
        {
            Sample s = samples[row];
            double y = Top + RowHeight * row + RowHeight / 2.0;
            string colour = s.Name.StartsWith("block-diskseq", StringComparison.Ordinal) ? "#1f77b4" : "#d62728";
            svg.AppendLine($"<text x=\"{Left - 8}\" y=\"{F(y + 4)}\" text-anchor=\"end\">{s.Name}</text>");
            foreach (double v in s.Values)
                svg.AppendLine($"<circle cx=\"{F(X(v))}\" cy=\"{F(y)}\" r=\"3\" fill=\"{colour}\" fill-opacity=\"0.45\"/>");
            svg.AppendLine($"<line x1=\"{F(X(s.Median))}\" y1=\"{F(y - 14)}\" x2=\"{F(X(s.Median))}\" y2=\"{F(y + 14)}\" stroke=\"black\" stroke-width=\"2\"/>");
        }
        svg.AppendLine("</svg>");
        return svg.ToString();
    }
}
