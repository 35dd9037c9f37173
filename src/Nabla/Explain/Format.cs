using System.Globalization;
using System.Text;

namespace Nabla.Explain;

/// <summary>Numbers and tensors as text with a given number of significant digits.</summary>
internal static class Format
{
    /// <summary>A number rounded to <paramref name="digits"/> significant digits, without trailing zeros (−0 shows as 0).</summary>
    public static string Number(double v, int digits)
    {
        if (double.IsNaN(v) || double.IsInfinity(v))
        {
            return v.ToString(CultureInfo.InvariantCulture);
        }

        if (v == 0)
        {
            return "0";
        }

        double a = Math.Abs(v);
        if (a >= 1e-4 && a < 1e15)
        {
            int mag = (int)Math.Floor(Math.Log10(a));
            int decimals = Math.Clamp(digits - 1 - mag, 0, 15);
            var s = Math.Round(v, decimals, MidpointRounding.AwayFromZero).ToString("F" + decimals, CultureInfo.InvariantCulture);
            if (s.Contains('.', StringComparison.Ordinal))
            {
                s = s.TrimEnd('0').TrimEnd('.');
            }

            return s == "-0" ? "0" : s;
        }

        return v.ToString("G" + digits, CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);
    }

    /// <summary>A tensor as nested brackets (a scalar as a number).</summary>
    public static string Tensor(Tensor t, int digits, int maxElements = 64)
    {
        if (t.Rank == 0)
        {
            return Number(t.Item(), digits);
        }

        if (t.Numel > maxElements)
        {
            return $"<tensor {t.Shape}>";
        }

        var values = t.ToDoubleArray();
        var sb = new StringBuilder();
        int index = 0;
        Write(sb, t.Shape.ToArray(), 0, values, ref index, digits);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, int[] shape, int dim, double[] values, ref int index, int digits)
    {
        sb.Append('[');
        for (int i = 0; i < shape[dim]; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }

            if (dim == shape.Length - 1)
            {
                sb.Append(Number(values[index++], digits));
            }
            else
            {
                Write(sb, shape, dim + 1, values, ref index, digits);
            }
        }

        sb.Append(']');
    }
}
