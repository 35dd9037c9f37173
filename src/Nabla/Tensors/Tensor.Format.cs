using System.Globalization;
using System.Text;

namespace Nabla;

public sealed partial class Tensor
{
    private const int SummarizeThreshold = 1000;
    private const int EdgeItems = 3;

    /// <summary>
    /// Formats like PyTorch: <c>tensor([[1.0000, 2.5000], [3.0000, 4.0000]])</c> with one row per line,
    /// integral floats as <c>1.</c>, scientific notation for wide ranges, and "..." beyond 1000 elements.
    /// </summary>
    public override string ToString()
    {
        var values = ToDoubleArray();
        bool summarize = values.Length > SummarizeThreshold;
        Func<double, string> fmt = ElementFormatter(summarize ? SampleEdges(values) : values);
        int width = 0;
        foreach (var v in summarize ? SampleEdges(values) : values)
        {
            width = Math.Max(width, fmt(v).Length);
        }

        var sb = new StringBuilder("tensor(");
        if (Rank == 0)
        {
            sb.Append(fmt(values[0]));
        }
        else
        {
            var strides = Shape.ContiguousStrides();
            AppendDim(sb, values, 0, 0, strides, s => fmt(s).PadLeft(width), summarize, 7);
        }

        var extras = new List<string>();
        if (DType is DType.Float64 or DType.Int64 && Numel == 0 || DType == DType.Float64)
        {
            extras.Add($"dtype={DType}");
        }

        if (GradFn is { } fn)
        {
            extras.Add($"grad_fn={fn}");
        }
        else if (RequiresGrad)
        {
            extras.Add("requires_grad=True");
        }

        foreach (var e in extras)
        {
            sb.Append(", ").Append(e);
        }

        return sb.Append(')').ToString();
    }

    private void AppendDim(StringBuilder sb, double[] v, int dim, int offset, int[] strides, Func<double, string> fmt, bool summarize, int indent)
    {
        int n = Shape.Dims[dim];
        sb.Append('[');
        bool last = dim == Rank - 1;
        for (int i = 0; i < n; i++)
        {
            if (summarize && n > 2 * EdgeItems && i == EdgeItems)
            {
                sb.Append(last ? "..., " : "...,\n" + new string(' ', indent + dim + 1) + (Rank - dim > 2 ? "\n" + new string(' ', indent + dim + 1) : string.Empty));
                i = n - EdgeItems - 1;
                continue;
            }

            if (last)
            {
                sb.Append(fmt(v[offset + i]));
            }
            else
            {
                AppendDim(sb, v, dim + 1, offset + (i * strides[dim]), strides, fmt, summarize, indent);
            }

            if (i < n - 1)
            {
                sb.Append(last ? ", " : ",\n" + new string('\n', Math.Max(0, Rank - dim - 2)) + new string(' ', indent + dim + 1));
            }
        }

        sb.Append(']');
    }

    private double[] SampleEdges(double[] values) =>
        values.Length <= 2 * SummarizeThreshold ? values : [.. values.Take(SummarizeThreshold), .. values.TakeLast(SummarizeThreshold)];

    private Func<double, string> ElementFormatter(double[] values)
    {
        var inv = CultureInfo.InvariantCulture;
        if (DType == DType.Bool)
        {
            return v => v != 0 ? "True" : "False";
        }

        if (DType == DType.Int64)
        {
            return v => ((long)v).ToString(inv);
        }

        var finite = values.Where(double.IsFinite).Select(Math.Abs).ToArray();
        static string Special(double v) => double.IsNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
        if (finite.Length == 0)
        {
            return v => double.IsFinite(v) ? v.ToString("0.", inv) : Special(v);
        }

        if (values.Where(double.IsFinite).All(x => x == Math.Round(x)))
        {
            if (finite.Max() > 1e8)
            {
                return v => double.IsFinite(v) ? v.ToString("0.0000e+00", inv) : Special(v);
            }

            return v => double.IsFinite(v) ? v.ToString("0", inv) + "." : Special(v);
        }

        var nonZero = finite.Where(x => x != 0).ToArray();
        double max = nonZero.Length > 0 ? nonZero.Max() : 0, min = nonZero.Length > 0 ? nonZero.Min() : 0;
        bool sci = max / Math.Max(min, double.Epsilon) > 1000 || max > 1e8 || min < 1e-4;
        return sci
            ? v => double.IsFinite(v) ? v.ToString("0.0000e+00", inv) : Special(v)
            : v => double.IsFinite(v) ? v.ToString("0.0000", inv) : Special(v);
    }
}
