using System.Globalization;
using Nabla.Formats;

namespace Nabla.Explain;

/// <summary>One row operation of Gaussian elimination: a swap (<see cref="Factor"/> null) or Rtarget ← Rtarget − factor·Rsource.</summary>
/// <param name="Target">0-based row changed.</param>
/// <param name="Source">0-based pivot row.</param>
/// <param name="Factor">The multiple subtracted, or null for a swap of the two rows.</param>
/// <param name="Column">The unknown whose column is being cleared.</param>
internal sealed record RowOp(int Target, int Source, double? Factor, string Column);

/// <summary>One unknown found by back substitution: value = (rhs − Σ coefficient·known) / pivot.</summary>
internal sealed record BackStep(string Name, double Rhs, IReadOnlyList<(double Coefficient, string Name, double Value)> Known, double Pivot, double Value);

/// <summary>The elimination shown: the system A·x = b, the row operations, the echelon form and the back substitution.</summary>
internal sealed record LinearSteps(IReadOnlyList<string> Names, double[][] A, double[] B, IReadOnlyList<RowOp> Ops, double[][] Echelon, IReadOnlyList<BackStep> Back);

/// <summary>
/// Gaussian elimination with partial pivoting (in each column the row with the largest |entry| becomes the pivot
/// row), every row operation recorded, then back substitution. A column without a pivot larger than 1e-12 of the
/// largest |entry| of A is a free unknown (infinitely many solutions: refused); a row that reduces to 0 = c with
/// |c| above 1e-9 of the largest |entry| of [A | b] is an inconsistent system (no solution: refused).
/// </summary>
internal static class LinearSystem
{
    public static LinearSteps Solve(IReadOnlyList<string> names, double[][] a, double[] b, YamlNode at)
    {
        int m = a.Length, n = names.Count;
        var M = a.Select((row, i) => row.Append(b[i]).ToArray()).ToArray();
        double scale = a.SelectMany(r => r).Select(Math.Abs).DefaultIfEmpty(0).Max();
        double scaleB = Math.Max(scale, b.Select(Math.Abs).DefaultIfEmpty(0).Max());
        var ops = new List<RowOp>();
        var pivotCols = new List<int>();
        int row = 0;
        for (int col = 0; col < n && row < m; col++)
        {
            int p = Enumerable.Range(row, m - row).MaxBy(r => Math.Abs(M[r][col]));
            if (!(Math.Abs(M[p][col]) > 1e-12 * scale))
            {
                continue;
            }

            if (p != row)
            {
                (M[p], M[row]) = (M[row], M[p]);
                ops.Add(new RowOp(row, p, null, names[col]));
            }

            for (int r = row + 1; r < m; r++)
            {
                double f = M[r][col] / M[row][col];
                if (f == 0)
                {
                    continue;
                }

                for (int j = col; j <= n; j++)
                {
                    M[r][j] -= f * M[row][j];
                }

                M[r][col] = 0;
                ops.Add(new RowOp(r, row, f, names[col]));
            }

            pivotCols.Add(col);
            row++;
        }

        for (int r = row; r < m; r++)
        {
            // Below the pivots the coefficients are rounding noise of exact zeros; the right-hand side decides.
            if (Math.Abs(M[r][n]) > 1e-9 * scaleB)
            {
                throw new YamlException($"solve: the equations contradict each other (no solution): after elimination equation {r + 1} reads 0 = {Num(M[r][n])}", at);
            }
        }

        if (row < n)
        {
            var free = Enumerable.Range(0, n).Where(c => !pivotCols.Contains(c)).Select(c => names[c]);
            throw new YamlException($"solve: the equations do not determine the unknowns (infinitely many solutions): rank {row} < {n} unknowns; free: {string.Join(", ", free)}", at);
        }

        var x = new double[n];
        var back = new List<BackStep>();
        for (int i = n - 1; i >= 0; i--)
        {
            var known = Enumerable.Range(i + 1, n - i - 1).Where(j => M[i][j] != 0).Select(j => (M[i][j], names[j], x[j])).ToList();
            x[i] = (M[i][n] - known.Sum(k => k.Item1 * k.Item3)) / M[i][i];
            back.Add(new BackStep(names[i], M[i][n], known, M[i][i], x[i]));
        }

        return new LinearSteps(names, a, b, ops, M, back);
    }

    /// <summary>The solution in the order of the unknowns.</summary>
    public static double[] Solution(this LinearSteps s) => s.Names.Select(n => s.Back.First(b => b.Name == n).Value).ToArray();

    private static string Num(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
}
