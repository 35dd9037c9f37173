using System.Globalization;

namespace Nabla.Explain;

/// <summary>
/// The evaluator's guard against printing NaN or ±∞ as an answer. Sub-expressions are checked bottom-up as they are
/// evaluated, so the first one found non-finite is the one that made the value from finite operands (log(0), 0/0,
/// √−1, exp overflow): the error names it, its position, the element and the likely cause.
/// </summary>
internal static class NonFinite
{
    /// <summary>Throws an <see cref="ExprException"/> at <paramref name="e"/> when <paramref name="value"/> has a NaN or ±∞ element.</summary>
    public static void Check(Expr e, Tensor value)
    {
        if (!value.DType.IsFloatingPoint())
        {
            return;
        }

        // Read without recording an op (ToDoubleArray's Contiguous would show up in the trace's op count).
        var c = value.ContiguousNoGrad();
        var data = new double[c.Numel];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = c.GetAsDouble(c.Offset + i);
        }

        int first = Array.FindIndex(data, v => !double.IsFinite(v));
        if (first < 0)
        {
            return;
        }

        int count = data.Count(v => !double.IsFinite(v));
        string where = value.Rank == 0 ? string.Empty : $" at {Index(value.Shape, first)}";
        string more = count > 1 ? $" (and {count - 1} more of its {data.Length} elements)" : string.Empty;
        string what = $"{e.Show()} = {Show(data[first])}{where}{more}";
        throw new ExprException(e switch
        {
            NumExpr => $"the number {e.Show()} is too large for a double",
            SymExpr or IndexExpr => $"{what}: the value read is not finite (a given value or a model's output), so nothing computed from it can be",
            _ => $"{what}, from finite operands: the first non-finite value of the equation{Cause(e)}",
        }, e.Pos);
    }

    private static string Show(double v) => double.IsNaN(v) ? "NaN" : v > 0 ? "inf" : "-inf";

    private static string Index(Shape shape, int flat)
    {
        var idx = new int[shape.Rank];
        for (int d = shape.Rank - 1; d >= 0; d--)
        {
            idx[d] = flat % shape.Dims[d];
            flat /= shape.Dims[d];
        }

        return $"[{string.Join(", ", idx.Select(i => i.ToString(CultureInfo.InvariantCulture)))}]";
    }

    // The usual ways each operation leaves the finite numbers, as a hint.
    private static string Cause(Expr e) => e switch
    {
        CallExpr { Name: "log" } => " (log(0) = -inf, log of a negative number is NaN)",
        CallExpr { Name: "sqrt" } => " (the square root of a negative number is NaN)",
        CallExpr { Name: "exp" } => " (exp overflows a double above about 709.78)",
        CallExpr { Name: "var" } => " (with n − correction ≤ 0 the variance divides by 0)",
        CallExpr { Name: "bce" or "bce_sum" } => " (bce takes probabilities: input values in [0, 1])",
        CallExpr { Name: "mean" } => " (the mean of no elements is 0/0)",
        BinExpr { Op: '/' } => " (division by 0)",
        BinExpr { Op: '^' } => " (0 to a negative power is inf, a negative base to a fractional power NaN)",
        BinExpr { Op: '*' } => " (0·inf is NaN, or the product overflows)",
        _ => string.Empty,
    };
}
