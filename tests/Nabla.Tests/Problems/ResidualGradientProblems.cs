namespace Nabla.Tests.Problems;

/// <summary>Topic residual-gradient: the Jacobian of a linear residual block H(x) = x + R(x).</summary>
public class ResidualGradientProblems
{
    private const double Abs = 1e-6, Rel = 1e-6;

    private static readonly Tensor W1 = Tensor.FromArray(new double[,] { { 1, 2 }, { 0, -1 } });
    private static readonly Tensor B1 = Tensor.FromArray([0.5, -0.5]);
    private static readonly Tensor W2 = Tensor.FromArray(new double[,] { { 0.5, 0 }, { 1, 1 } });
    private static readonly Tensor B2 = Tensor.FromArray([0.1, 0.2]);

    private static Tensor R(Tensor x) => W2.MatMul(W1.MatMul(x) + B1) + B2;

    private static Tensor H(Tensor x) => x + R(x);

    [Fact]
    public void S1_T4g_residual_jacobian()
    {
        // S1-T4g-residual-jacobian. x = [1, 2]:
        //   l1 = W1x + b1 = [1 + 4 + 0.5, −2 − 0.5] = [5.5, −2.5];
        //   R = W2·l1 + b2 = [2.75 + 0.1, 5.5 − 2.5 + 0.2] = [2.85, 3.2];  H = x + R = [3.85, 5.2].
        //   dR/dx = W2·W1 = [[0.5·1, 0.5·2], [1·1 + 1·0, 1·2 + 1·(−1)]] = [[0.5, 1], [1, 1]];
        //   dH/dx = I + W2·W1 = [[1.5, 1], [1, 2]];  gᵀ·dH/dx with g = [1, −1]: [1.5 − 1, 1 − 2] = [0.5, −1].
        var x = Tensor.FromArray([1.0, 2.0]);
        var g = Tensor.FromArray([1.0, -1.0]);

        AllClose([3.85, 5.2], H(x));

        var dR = Autograd.Functional.Jacobian(R, x);
        Assert.Equal(new Shape(2, 2), dR.Shape);
        AllClose([0.5, 1.0, 1.0, 1.0], dR);

        var j = Autograd.Functional.Jacobian(H, x);
        Assert.Equal(new Shape(2, 2), j.Shape);
        AllClose([1.5, 1.0, 1.0, 2.0], j);
        AllClose([1.5, 1.0, 1.0, 2.0], Tensor.Eye(2, dtype: DType.Float64) + dR);

        // The vector-Jacobian product directly (one backward pass) ...
        var xg = x.Detach().RequireGrad();
        var vjp = Autograd.Grad([H(xg)], [xg], [g])[0]!;
        AllClose([0.5, -1.0], vjp);

        // ... equals the gradient of L = g · H(x), and gᵀJ from the full Jacobian.
        var xl = x.Detach().RequireGrad();
        g.Dot(H(xl)).Backward();
        AllClose([0.5, -1.0], xl.Grad!);
        AllClose([0.5, -1.0], g.MatMul(j));
    }

    [Fact]
    public void S1_T4g_scalar_rule()
    {
        // Scalar case: H(x) = x + r·x has dH/dx = 1 + r; with r = 3, dH/dx = 4 at any x. The skip connection
        // contributes the 1, so the gradient survives even when r is tiny.
        foreach (var r in new[] { 3.0, 1e-8 })
        {
            var j = Autograd.Functional.Jacobian(x => x + (r * x), Tensor.Scalar(2.0));
            Assert.Equal(Shape.Scalar, j.Shape);
            Close(1 + r, j.Item());
        }
    }

    private static void Close(double expected, double actual) => Expect.Close(expected, actual, Abs, Rel);

    private static void AllClose(double[] expected, Tensor actual) => Expect.AllClose(expected, actual, Abs, Rel);
}
