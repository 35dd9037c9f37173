namespace Nabla.Ops.Kernels;

/// <summary>Scalar special functions that .NET's Math lacks.</summary>
internal static class SpecialFunctions
{
    private const double TwoOverSqrtPi = 1.1283791670955126;

    /// <summary>
    /// The error function to about 1e-15 relative accuracy: the Maclaurin series for |x| &lt; 2.5 and the
    /// Lentz continued fraction of erfc beyond. (Gradient checks divide the function's error by a 1e-6 step,
    /// so the usual 1e-7 approximations would not do.)
    /// </summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x))
        {
            return x;
        }

        double ax = Math.Abs(x);
        if (ax < 2.5)
        {
            // erf x = 2/√π Σ (−1)ⁿ x^(2n+1) / (n! (2n+1))
            double term = x, sum = x, x2 = x * x;
            for (int n = 1; n < 200; n++)
            {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum))
                {
                    break;
                }
            }

            return TwoOverSqrtPi * sum;
        }

        double erfc = ax > 27 ? 0 : Erfc(ax);
        return Math.CopySign(1 - erfc, x);
    }

    // erfc x = e^(−x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + 2/(x + ...))))) for x > 0, by modified Lentz.
    private static double Erfc(double x)
    {
        const double tiny = 1e-300;
        double f = x, c = x, d = 0;
        for (int n = 1; n < 500; n++)
        {
            double a = n * 0.5;
            d = x + a * d;
            d = Math.Abs(d) < tiny ? tiny : d;
            c = x + a / c;
            c = Math.Abs(c) < tiny ? tiny : c;
            d = 1 / d;
            double delta = c * d;
            f *= delta;
            if (Math.Abs(delta - 1) < 1e-16)
            {
                break;
            }
        }

        return Math.Exp(-x * x) / (f * Math.Sqrt(Math.PI));
    }
}
