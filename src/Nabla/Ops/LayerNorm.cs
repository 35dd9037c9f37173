using Nabla.Ops.Kernels;

namespace Nabla.Ops;

/// <summary>
/// Layer normalisation over the last dimensions (D elements per row): y = (x − μ)/√(σ² + ε)·γ + β with the row's
/// mean and biased variance, as one fused primitive (two passes forward, one backward).
/// </summary>
/// <remarks>
/// As for batch norm (Note [Fused batch norm]), the backward runs the fused kernel when no graph is being recorded,
/// and the same formula in tensor ops when it is (<c>createGraph</c>), so that double backward stays exact.
/// </remarks>
internal sealed class LayerNormOp(Shape normalizedShape, double eps) : Op
{
    public override string Name => "layer_norm";
    public override string Formula => "y = (x - mean) / sqrt(var + eps) * gamma + beta (over the last dims)";
    public override string GradFormula => "dx = rstd * (g - mean(g) - xhat * mean(g xhat)), g = dy * gamma";

    public Tensor Apply(Tensor x, Tensor? weight, Tensor? bias)
    {
        x.RequireFloat(Name);
        int d = (int)normalizedShape.Numel, rows = d == 0 ? 0 : (int)(x.Numel / d);
        foreach (var p in new[] { weight, bias })
        {
            if (p is not null && (p.Shape != normalizedShape || p.DType != x.DType))
            {
                throw new ArgumentException($"layer_norm: weight and bias must be {normalizedShape} of {x.DType}, got {p.Shape} ({p.DType})");
            }
        }

        var (xc, w, b) = (x.ContiguousNoGrad(), weight?.CloneNoGrad(), bias?.CloneNoGrad()); // w, b: fresh arrays at offset 0
        var y = Tensor.Empty(x.Shape, x.DType);
        var (mean, rstd) = (Tensor.Empty(new Shape(rows), x.DType), Tensor.Empty(new Shape(rows), x.DType));
        if (x.DType == DType.Float32)
        {
            LayerNormKernels.Forward(xc.Elements<float>(), xc.Offset, y.Elements<float>(), rows, d, w?.Elements<float>(), b?.Elements<float>(),
                (float)eps, mean.Elements<float>(), rstd.Elements<float>());
        }
        else
        {
            LayerNormKernels.Forward(xc.Elements<double>(), xc.Offset, y.Elements<double>(), rows, d, w?.Elements<double>(), b?.Elements<double>(),
                eps, mean.Elements<double>(), rstd.Elements<double>());
        }

        Tensor[] inputs = [x, .. new[] { weight, bias }.OfType<Tensor>()];
        return Record(y, inputs, dy => Backward(dy, x, weight, bias, mean, rstd, rows, d));
    }

    private Tensor?[] Backward(Tensor dy, Tensor x, Tensor? weight, Tensor? bias, Tensor mean, Tensor rstd, int rows, int d)
    {
        int k = normalizedShape.Rank, lead = x.Rank - k;
        var dims = Enumerable.Range(lead, k).ToArray();
        var batchDims = Enumerable.Range(0, lead).ToArray();
        var result = new Tensor?[1 + (weight is null ? 0 : 1) + (bias is null ? 0 : 1)];
        if (GradMode.IsEnabled)
        {
            // Differentiable form: x̂ recomputed from x in tensor ops.
            var mu = x.Mean(dims, keepDim: true);
            var r = ((x - mu).Square().Mean(dims, keepDim: true) + eps).Rsqrt();
            var xhat = (x - mu) * r;
            var g = weight is null ? dy : dy * weight;
            result[0] = r * (g - g.Mean(dims, keepDim: true) - (xhat * (g * xhat).Mean(dims, keepDim: true)));
            Fill(result, weight, bias, () => (dy * xhat).Sum(batchDims), () => dy.Sum(batchDims));
            return result;
        }

        var (xc, dyc, w) = (x.ContiguousNoGrad(), dy.ContiguousNoGrad(), weight?.CloneNoGrad());
        var dx = Tensor.Empty(x.Shape, x.DType);
        var dGamma = weight is null ? null : Tensor.Empty(normalizedShape, x.DType);
        var dBeta = bias is null ? null : Tensor.Empty(normalizedShape, x.DType);
        if (x.DType == DType.Float32)
        {
            LayerNormKernels.Backward(xc.Elements<float>(), xc.Offset, dyc.Elements<float>(), dyc.Offset, dx.Elements<float>(), rows, d,
                w?.Elements<float>(), mean.Elements<float>(), rstd.Elements<float>(), dGamma?.Elements<float>(), dBeta?.Elements<float>());
        }
        else
        {
            LayerNormKernels.Backward(xc.Elements<double>(), xc.Offset, dyc.Elements<double>(), dyc.Offset, dx.Elements<double>(), rows, d,
                w?.Elements<double>(), mean.Elements<double>(), rstd.Elements<double>(), dGamma?.Elements<double>(), dBeta?.Elements<double>());
        }

        result[0] = dx;
        Fill(result, weight, bias, () => dGamma!, () => dBeta!);
        return result;
    }

    // Puts dγ and dβ after dx, in the order of the inputs that exist.
    private static void Fill(Tensor?[] result, Tensor? weight, Tensor? bias, Func<Tensor> dGamma, Func<Tensor> dBeta)
    {
        int i = 1;
        if (weight is not null)
        {
            result[i++] = weight.RequiresGrad ? dGamma() : null;
        }

        if (bias is not null)
        {
            result[i] = bias.RequiresGrad ? dBeta() : null;
        }
    }
}
