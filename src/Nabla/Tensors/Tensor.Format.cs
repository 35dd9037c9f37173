using System.Globalization;
using System.Text;

namespace Nabla;

public sealed partial class Tensor
{
    // PyTorch's default print options (torch.set_printoptions): threshold, edgeitems, linewidth, precision 4.
    private const int SummarizeThreshold = 1000;
    private const int EdgeItems = 3;
    private const int LineWidth = 80;

    /// <summary>
    /// Formats like PyTorch's <c>repr</c>: <c>tensor([[1.0000, 2.5000],\n        [3.0000, 4.0000]])</c>.
    /// </summary>
    /// <remarks>
    /// The rules of <c>torch/_tensor_str.py</c>: one row per line with columns aligned to the widest element;
    /// rows of a vector wrap at 80 characters; floats whose nonzero finite values are all integral print as
    /// <c>1.</c>; scientific notation (<c>1.0000e-05</c>) when max/min of the nonzero finite magnitudes exceeds 1000,
    /// the maximum exceeds 1e8 or (for non-integral values) the minimum is below 1e-4; above 1000 elements only
    /// the first and last 3 entries of each dimension are shown, with "...". Suffixes: <c>dtype=Float64</c>
    /// (Float64 is not the default dtype; an empty tensor shows any non-Float32 dtype and its size when not 1-D),
    /// then <c>grad_fn=&lt;MulBackward&gt;</c> or <c>requires_grad=True</c>.
    /// </remarks>
    public override string ToString()
    {
        const string prefix = "tensor(";
        int indent = prefix.Length;
        var suffixes = new List<string>();
        string body;
        if (Numel == 0)
        {
            if (Rank != 1)
            {
                suffixes.Add("size=(" + string.Join(", ", Shape.ToArray()) + ")");
            }

            if (DType != DType.Float32)
            {
                suffixes.Add($"dtype={DType}");
            }

            body = "[]";
        }
        else
        {
            var contiguous = ContiguousNoGrad();
            var values = contiguous.ToDoubleArray();
            long[]? longs = DType == DType.Int64 ? contiguous.Span<long>().ToArray() : null; // exact beyond 2^53
            bool summarize = Numel > SummarizeThreshold;
            var shown = summarize ? SummarizedIndices() : Enumerable.Range(0, values.Length).ToArray();
            var formatter = new ElementFormatter(DType, values, longs, shown);
            var sb = new StringBuilder();
            if (Rank == 0)
            {
                sb.Append(formatter.Format(0));
            }
            else
            {
                AppendBlock(sb, 0, 0, Shape.ContiguousStrides(), indent, summarize, formatter);
            }

            body = sb.ToString();
            if (DType == DType.Float64)
            {
                suffixes.Add($"dtype={DType}");
            }
        }

        if (GradFn is { } fn)
        {
            suffixes.Add($"grad_fn={fn}");
        }
        else if (RequiresGrad)
        {
            suffixes.Add("requires_grad=True");
        }

        return AddSuffixes(prefix + body, suffixes, indent);
    }

    /// <summary>Appends ", suffix" to the last line, or starts a new indented line when it would pass 80 characters.</summary>
    private static string AddSuffixes(string text, List<string> suffixes, int indent)
    {
        var sb = new StringBuilder(text);
        int lastLineLength = text.Length - text.LastIndexOf('\n') + 1;
        foreach (var suffix in suffixes)
        {
            if (lastLineLength + suffix.Length + 2 > LineWidth)
            {
                sb.Append(",\n").Append(' ', indent).Append(suffix);
                lastLineLength = indent + suffix.Length;
            }
            else
            {
                sb.Append(", ").Append(suffix);
                lastLineLength += suffix.Length + 2;
            }
        }

        return sb.Append(')').ToString();
    }

    /// <summary>Appends dimension <paramref name="dim"/> of the row-major elements starting at <paramref name="offset"/>.</summary>
    private void AppendBlock(StringBuilder sb, int dim, int offset, int[] strides, int indent, bool summarize, ElementFormatter f)
    {
        int n = Shape.Dims[dim];
        bool elide = summarize && n > 2 * EdgeItems;
        if (dim == Rank - 1)
        {
            var items = new List<string>();
            for (int i = 0; i < n; i++)
            {
                if (elide && i == EdgeItems)
                {
                    items.Add(" ...");
                    i = n - EdgeItems - 1;
                    continue;
                }

                items.Add(f.Format(offset + i));
            }

            int perLine = Math.Max(1, (LineWidth - indent) / (f.Width + 2));
            sb.Append('[');
            for (int i = 0; i < items.Count; i++)
            {
                if (i > 0)
                {
                    sb.Append(i % perLine == 0 ? ",\n" + new string(' ', indent + 1) : ", ");
                }

                sb.Append(items[i]);
            }

            sb.Append(']');
            return;
        }

        string separator = "," + new string('\n', Rank - dim - 1) + new string(' ', indent + 1);
        sb.Append('[');
        for (int i = 0; i < n; i++)
        {
            if (i > 0)
            {
                sb.Append(separator);
            }

            if (elide && i == EdgeItems)
            {
                sb.Append("...").Append(separator);
                i = n - EdgeItems;
            }

            AppendBlock(sb, dim + 1, offset + (i * strides[dim]), strides, indent + 1, summarize, f);
        }

        sb.Append(']');
    }

    /// <summary>Row-major indices of the elements a summarised print shows (first and last <see cref="EdgeItems"/> of every dimension).</summary>
    private int[] SummarizedIndices()
    {
        var strides = Shape.ContiguousStrides();
        var shown = new List<int>();
        void Collect(int dim, int offset)
        {
            int n = Shape.Dims[dim];
            for (int i = 0; i < n; i++)
            {
                if (n > 2 * EdgeItems && i == EdgeItems)
                {
                    i = n - EdgeItems;
                }

                if (dim == Rank - 1)
                {
                    shown.Add(offset + i);
                }
                else
                {
                    Collect(dim + 1, offset + (i * strides[dim]));
                }
            }
        }

        Collect(0, 0);
        return shown.ToArray();
    }

    /// <summary>PyTorch's <c>_Formatter</c>: picks integer, fixed or scientific mode and a common width.</summary>
    private sealed class ElementFormatter
    {
        private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
        private readonly DType dtype;
        private readonly double[] values;
        private readonly long[]? longs;
        private readonly bool intMode = true;
        private readonly bool sciMode;

        /// <summary>Chooses the mode and width from the <paramref name="shown"/> elements of row-major <paramref name="values"/>.</summary>
        public ElementFormatter(DType dtype, double[] values, long[]? longs, int[] shown)
        {
            this.dtype = dtype;
            this.values = values;
            this.longs = longs;
            Width = 1;
            if (!dtype.IsFloatingPoint())
            {
                foreach (var i in shown)
                {
                    Width = Math.Max(Width, Format(i).Length);
                }

                return;
            }

            var nonzeroFinite = shown.Select(i => values[i]).Where(x => double.IsFinite(x) && x != 0).ToArray();
            if (nonzeroFinite.Length == 0)
            {
                return;
            }

            double max = nonzeroFinite.Max(Math.Abs), min = nonzeroFinite.Min(Math.Abs);
            intMode = nonzeroFinite.All(x => x == Math.Ceiling(x));
            sciMode = max / min > 1000.0 || max > 1.0e8 || (!intMode && min < 1.0e-4);
            foreach (var v in nonzeroFinite)
            {
                Width = Math.Max(Width, FormatValue(v).Length);
            }
        }

        /// <summary>The width every element is padded to.</summary>
        public int Width { get; }

        /// <summary>Element <paramref name="index"/> (row-major), right-aligned to <see cref="Width"/>.</summary>
        public string Format(int index) => longs is not null ? longs[index].ToString(Inv).PadLeft(Width) : FormatValue(values[index]);

        private string FormatValue(double v)
        {
            string s;
            if (dtype == DType.Bool)
            {
                s = v != 0 ? "True" : "False";
            }
            else if (double.IsNaN(v))
            {
                s = "nan";
            }
            else if (double.IsInfinity(v))
            {
                s = v > 0 ? "inf" : "-inf";
            }
            else if (sciMode)
            {
                // Python's "{:.4e}": round half to even (as "E4"), exponent with at least two digits.
                var e = v.ToString("E4", Inv);
                int at = e.IndexOf('E', StringComparison.Ordinal);
                int exponent = int.Parse(e[(at + 1)..], Inv);
                s = e[..at] + (exponent < 0 ? "e-" : "e+") + Math.Abs(exponent).ToString("00", Inv);
            }
            else if (intMode)
            {
                s = v.ToString("0", Inv) + ".";
            }
            else
            {
                s = v.ToString("F4", Inv); // round half to even, as Python's "{:.4f}" (the "0.0000" pattern rounds half away)
            }

            return s.PadLeft(Width);
        }
    }
}
