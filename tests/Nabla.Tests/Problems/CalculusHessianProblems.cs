namespace Nabla.Tests.Problems;

/// <summary>
/// Topic calculus-hessian: f(x, y) = x⁴ − 32x² + y⁴ − 18y², its gradient by reverse mode through an explicit
/// computation graph, and its Hessian, eigenvalues and critical-point classification.
/// </summary>
public class CalculusHessianProblems
{
    private const double Abs = 1e-6, Rel = 1e-6;

    /// <summary>f built from tensor ops on a 1-D tensor v = (x, y).</summary>
    private static Tensor F(Tensor v)
    {
        var x = v[0];
        var y = v[1];
        return x.Pow(4) - (32 * x.Square()) + y.Pow(4) - (18 * y.Square());
    }

    [Fact]
    public void S1_EC2_5a_compgraph_grad()
    {
        // S1-EC2-5a-compgraph-grad. Graph a = x², b = a², c = y², d = c², f = b − 32a + d − 18c at (2, 2):
        //   a = 4, b = 16, c = 4, d = 16, f = 16 − 128 + 16 − 72 = −168.
        //   ∂f/∂a = ∂b/∂a − 32 = 2a − 32 = −24,  ∂f/∂c = 2c − 18 = −10   (total derivatives through b and d).
        //   ∂f/∂x = ∂f/∂a · ∂a/∂x = −24 · 2x = −96 (= 4x³ − 64x),  ∂f/∂y = −10 · 2y = −40 (= 4y³ − 36y).
        var x = Tensor.Scalar(2.0).RequireGrad();
        var y = Tensor.Scalar(2.0).RequireGrad();
        var a = x * x;
        var b = a * a;
        var c = y * y;
        var d = c * c;
        var f = b - (32 * a) + d - (18 * c);

        Close(-168.0, f.Item());
        Close(4.0, a.Item());
        Close(16.0, b.Item());
        Close(4.0, c.Item());
        Close(16.0, d.Item());

        var inner = Autograd.Grad([f], [a, c], retainGraph: true);
        Close(-24.0, inner[0]!.Item());
        Close(-10.0, inner[1]!.Item());

        f.Backward();
        Close(-96.0, x.Grad!.Item());
        Close(-40.0, y.Grad!.Item());

        // Analytic check 4x³ − 64x and 4y³ − 36y.
        Close((4 * 8) - (64 * 2), x.Grad!.Item());
        Close((4 * 8) - (36 * 2), y.Grad!.Item());
    }

    [Theory]
    // S1-EC2-5b-hessian. H(x, y) = [[12x² − 64, 0], [0, 12y² − 36]].
    //   (0, 0): H = diag(−64, −36), both eigenvalues < 0 → local maximum, f = 0.
    //   (4, 3): H = diag(12·16 − 64, 12·9 − 36) = diag(128, 72) > 0 → local minimum,
    //           f = 256 − 512 + 81 − 162 = −337; gradient (4·64 − 256, 4·27 − 108) = (0, 0).
    [InlineData(0.0, 0.0, -64.0, -36.0, 0.0, "local maximum")]
    [InlineData(4.0, 3.0, 128.0, 72.0, -337.0, "local minimum")]
    public void S1_EC2_5b_hessian(double px, double py, double hxx, double hyy, double fExpected, string type)
    {
        var point = Tensor.FromArray([px, py]);

        var v = point.Detach().RequireGrad();
        var fv = F(v);
        Close(fExpected, fv.Item());
        var grad = Autograd.Grad([fv], [v])[0]!;
        AllClose([0.0, 0.0], grad);

        var h = Autograd.Functional.Hessian(F, point);
        Assert.Equal(new Shape(2, 2), h.Shape);
        AllClose([hxx, 0.0, 0.0, hyy], h);

        // The expected eigenvalues in ascending order (the problem lists them in diagonal order).
        var eig = h.SymmetricEigenvalues();
        AllClose([Math.Min(hxx, hyy), Math.Max(hxx, hyy)], eig);

        Assert.Equal(type, Classify(eig));
        Assert.Equal(type, ClassifyByDeterminant(h));
    }

    [Fact]
    public void S1_EC2_5b_hessian_formula_at_a_saddle()
    {
        // The formula at a non-critical point (1, 2): diag(12 − 64, 48 − 36) = diag(−52, 12): mixed signs.
        var h = Autograd.Functional.Hessian(F, Tensor.FromArray([1.0, 2.0]));
        AllClose([-52.0, 0.0, 0.0, 12.0], h);
        Assert.Equal("saddle", Classify(h.SymmetricEigenvalues()));
        Assert.Equal("saddle", ClassifyByDeterminant(h));

        // (4, 0) is a true critical point (4·64 − 256 = 0, y = 0) and a saddle: diag(128, −36).
        var h2 = Autograd.Functional.Hessian(F, Tensor.FromArray([4.0, 0.0]));
        Assert.Equal("saddle", Classify(h2.SymmetricEigenvalues()));
    }

    /// <summary>Second-derivative test by eigenvalue signs.</summary>
    private static string Classify(Tensor eigenvalues)
    {
        var ev = eigenvalues.ToDoubleArray();
        return ev.All(l => l > 0) ? "local minimum" : ev.All(l => l < 0) ? "local maximum" : ev.Any(l => l > 0) && ev.Any(l => l < 0) ? "saddle" : "inconclusive";
    }

    /// <summary>The 2×2 determinant test: det &gt; 0 and h₁₁ &gt; 0 min, det &gt; 0 and h₁₁ &lt; 0 max, det &lt; 0 saddle.</summary>
    private static string ClassifyByDeterminant(Tensor h)
    {
        double det = ((h[0, 0] * h[1, 1]) - (h[0, 1] * h[1, 0])).Item();
        double h11 = h[0, 0].Item();
        return det < 0 ? "saddle" : det > 0 && h11 > 0 ? "local minimum" : det > 0 && h11 < 0 ? "local maximum" : "inconclusive";
    }

    private static void Close(double expected, double actual) => Expect.Close(expected, actual, Abs, Rel);

    private static void AllClose(double[] expected, Tensor actual) => Expect.AllClose(expected, actual, Abs, Rel);
}
