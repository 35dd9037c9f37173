using Nabla.Tests.Reference;

namespace Nabla.Tests.Ops;

// Element-wise primitives and composites of one and two tensors.
internal static partial class OpDb
{
    private static OpCase Unary(string name, Func<Tensor, Tensor> f, Func<double, double> r,
        double lo = -2, double hi = 2, double minAbs = 0) =>
        new(name, xs => f(xs[0]), rs => rs[0].Map(r), Domain(ElementwiseSamples(), lo, hi, minAbs));

    private static Arg[][] Forward(params double[] values) => [S(new F([values.Length]) { Values = values })];

    // ln(1 + x) independently of the kernel: the Taylor series x − x²/2 + x³/3 − x⁴/4 (relative error below x⁴/5)
    // for |x| < 1e-4, where rounding 1 + x would lose the digits; plain Math.Log(1 + x) elsewhere.
    private static double Log1pReference(double x) =>
        Math.Abs(x) < 1e-4 ? x * (1 - (x * (0.5 - (x * ((1.0 / 3) - (x * 0.25)))))) : Math.Log(1 + x);

    private static IEnumerable<OpCase> UnaryCases()
    {
        yield return Unary("neg", x => -x, x => -x);
        yield return Unary("exp", x => x.Exp(), Math.Exp);
        yield return Unary("log", x => x.Log(), Math.Log, 0.2, 3);
        yield return Unary("log1p", x => x.Log1p(), Log1pReference, -0.8, 3) with { ForwardOnly = Forward(1e-20, -1e-12, 3e-8, 1e30, -1) };
        yield return Unary("sqrt", x => x.Sqrt(), Math.Sqrt, 0.2, 3);
        yield return Unary("rsqrt", x => x.Rsqrt(), x => 1 / Math.Sqrt(x), 0.2, 3);
        yield return Unary("abs", x => x.Abs(), Math.Abs, minAbs: 0.1) with { ForwardOnly = Forward(0, -0.0, 1.5, -2) };
        yield return Unary("sign", x => x.Sign(), x => double.IsNaN(x) ? x : Math.Sign(x), minAbs: 0.1) with
        {
            ForwardOnly = Forward(0, -0.0, 1e-30, -1e-30, double.NaN),
        };
        yield return Unary("tanh", x => x.Tanh(), Math.Tanh);
        yield return Unary("sigmoid", x => x.Sigmoid(), x => 1 / (1 + Math.Exp(-x)), -4, 4) with
        {
            ForwardOnly = Forward(-30, 30, 0),
        };
        yield return Unary("relu", x => x.Relu(), x => Math.Max(x, 0), minAbs: 0.1) with { ForwardOnly = Forward(0, -1, 1, double.NaN) };
        yield return Unary("relu6", x => new Nabla.NN.ReLU6().Forward(x), x => Math.Min(Math.Max(x, 0), 6), -3, 3, minAbs: 0.1) with
        {
            ForwardOnly = Forward(0, -1, 6, 7.5, 3, double.NaN),
        };
        yield return Unary("sin", x => x.Sin(), Math.Sin, -3, 3);
        yield return Unary("cos", x => x.Cos(), Math.Cos, -3, 3);
        yield return Unary("erf", x => x.Erf(), R.Erf, -2.5, 2.5) with { ForwardOnly = Forward(0, 0.5, -1, 3) };
        yield return Unary("square", x => x.Square(), x => x * x);
        yield return Unary("clamp", x => x.Clamp(-0.5, 0.8), x => Math.Min(Math.Max(x, -0.5), 0.8)) with
        {
            ForwardOnly = Forward(-0.5, 0.8, -3, 3, 0, double.NaN, double.PositiveInfinity),
        };
        yield return Unary("clamp_min", x => x.Clamp(min: 0.3), x => Math.Max(x, 0.3));
        yield return Unary("clamp_max", x => x.Clamp(max: -0.2), x => Math.Min(x, -0.2));
        yield return Unary("leaky_relu", x => x.LeakyRelu(0.2), x => x > 0 ? x : 0.2 * x, minAbs: 0.1);
        yield return Unary("leaky_relu_default", x => x.LeakyRelu(), x => x > 0 ? x : 0.01 * x, minAbs: 0.1);
        yield return Unary("elu", x => x.Elu(1.3), x => x > 0 ? x : 1.3 * (Math.Exp(x) - 1), minAbs: 0.1);
        yield return Unary("gelu", x => x.Gelu(), x => 0.5 * x * (1 + R.Erf(x / Math.Sqrt(2))), -3, 3);
        yield return Unary("gelu_tanh", x => x.Gelu(tanhApproximation: true),
            x => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + (0.044715 * x * x * x)))), -3, 3);
        yield return Unary("softplus", x => x.Softplus(), x => Math.Log(1 + Math.Exp(x)), -4, 4, minAbs: 0.05) with
        {
            ForwardOnly = Forward(0, 40, -40),
        };

        // Scalar operands of the binary primitives (a 0-d constant on either side).
        yield return Unary("add_scalar", x => x + 1.5, x => x + 1.5);
        yield return Unary("sub_rscalar", x => 2.0 - x, x => 2.0 - x);
        yield return Unary("mul_scalar", x => 3.0 * x, x => 3.0 * x);
        yield return Unary("div_scalar", x => x / 4.0, x => x / 4.0);
        yield return Unary("div_rscalar", x => 1.5 / x, x => 1.5 / x, minAbs: 0.5);
        yield return Unary("pow_scalar", x => x.Pow(3.0), x => x * x * x);
        yield return Unary("pow_square", x => x.Pow(2.0), x => x * x);
        yield return Unary("pow_half", x => x.Pow(0.5), Math.Sqrt, 0.2, 3);
        yield return Unary("pow_negative", x => x.Pow(-1.5), x => Math.Pow(x, -1.5), 0.3, 3);
    }

    /// <summary>Same shape, row, column, outer, scalar, zero-size, non-contiguous and expanded operands.</summary>
    private static Arg[][] BroadcastSamples() =>
    [
        S(X(3, 4), X(3, 4)),
        S(X(3, 4), X(4)),
        S(X(3, 4), X(3, 1)),
        S(X(3, 1), X(3, 4)),
        S(X(4), X(3, 4)),
        S(X(2, 1, 3), X(4, 1)),
        S(X(2, 3), X()),
        S(X(), X(2, 3)),
        S(X(0, 3), X(3)),
        S(Xt(3, 4), Xn(3, 4)),
        S(Xe(2, 3), X(2, 3)),
        S(X(2, 3, 2), Xt(3, 2)),
    ];

    private static OpCase Binary(string name, Func<Tensor, Tensor, Tensor> f, Func<double, double, double> r,
        (double Lo, double Hi, double MinAbs)? domA = null, (double Lo, double Hi, double MinAbs)? domB = null)
    {
        var (la, ha, ma) = domA ?? (-2, 2, 0);
        var (lb, hb, mb) = domB ?? (-2, 2, 0);
        var samples = BroadcastSamples()
            .Select(s => new Arg[] { (F)s[0] with { Lo = la, Hi = ha, MinAbs = ma }, (F)s[1] with { Lo = lb, Hi = hb, MinAbs = mb } })
            .ToArray();
        return new(name, xs => f(xs[0], xs[1]), rs => R.Zip(rs[0], rs[1], r), samples);
    }

    // The fused gradient ops take equal shapes: broadcast the samples first.
    private static Tensor Fused(Nabla.Ops.ActivationGradOp op, Tensor a, Tensor b)
    {
        var shape = Shape.Broadcast(a.Shape, b.Shape);
        return op.Apply(a.Expand(shape), b.Expand(shape));
    }

    private static IEnumerable<OpCase> BinaryCases()
    {
        yield return Binary("add", (a, b) => a + b, (a, b) => a + b);
        yield return Binary("sub", (a, b) => a - b, (a, b) => a - b);
        yield return Binary("mul", (a, b) => a * b, (a, b) => a * b);
        yield return Binary("div", (a, b) => a / b, (a, b) => a / b, domB: (-2, 2, 0.5));
        yield return Binary("pow", (a, b) => a.Pow(b), Math.Pow, domA: (0.5, 2, 0));
        yield return Binary("maximum", (a, b) => a.Maximum(b), Math.Max) with
        {
            // Ties: each side gets half the gradient; the value is the same either way.
            ForwardOnly = [S(new F([4]) { Values = [1, 2, -1, double.NaN] }, new F([4]) { Values = [1, -2, 3, 0] })],
        };
        yield return Binary("minimum", (a, b) => a.Minimum(b), Math.Min) with
        {
            ForwardOnly = [S(new F([4]) { Values = [1, 2, -1, 0] }, new F([4]) { Values = [1, -2, 3, double.NaN] })],
        };
        yield return Binary("add_named", (a, b) => a.Add(b).Sub(b.Mul(a)).Div(b + 3.0), (a, b) => (a + b - (b * a)) / (b + 3), domB: (-1, 1, 0));
        yield return new OpCase("add_mixed_dtype", xs => xs[0] + xs[1], rs => R.Zip(rs[0], rs[1], (a, b) => a + b),
            [S(new F([3, 4]) { Fixed = DType.Float32 }, X(3, 4)), S(X(4), new F([2, 4]) { Fixed = DType.Float32 })])
        {
            // The Float32 operand is rounded, so the Float64 run matches the reference only to float32 precision.
            Atol64 = 1e-6,
            Rtol64 = 1e-6,
        };
        // Fused activation backward kernels against their composite definitions (the oracles).
        yield return Binary("relu_backward", (dy, x) => Fused(Nabla.Ops.ReluGrad.Instance, dy, x), (dy, x) => x > 0 ? dy : 0, domB: (-2, 2, 0.1));
        yield return Binary("tanh_backward", (dy, t) => Fused(Nabla.Ops.TanhGrad.Instance, dy, t), (dy, t) => dy * (1 - (t * t)));
        yield return Binary("sigmoid_backward", (dy, s) => Fused(Nabla.Ops.SigmoidGrad.Instance, dy, s), (dy, s) => dy * s * (1 - s));
        yield return new OpCase("pow_zero_base", xs => xs[0].Pow(xs[1]), rs => R.Zip(rs[0], rs[1], Math.Pow), [])
        {
            ForwardOnly = [S(new F([4]) { Values = [0, 0, 2, 0.5] }, new F([4]) { Values = [2, 0, 0, 3] })],
        };
    }
}
