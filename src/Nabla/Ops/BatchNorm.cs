using Nabla.Ops.Kernels;

namespace Nabla.Ops;

/// <summary>
/// Training-mode batch normalisation over every dimension but 1: y = (x − μ)/√(σ² + ε)·γ + β with the batch
/// mean and biased variance, as one fused primitive (two passes forward, two backward).
/// </summary>
/// <remarks>
/// Note [Fused batch norm]: the backward runs the fused kernel when no graph is being recorded, and the
/// same formula in tensor ops when it is (<c>createGraph</c>), so that double backward stays exact. The
/// composite definition in <c>F.BatchNorm</c>'s history is the oracle in the op table.
/// </remarks>
internal sealed class BatchNormTrain(double eps) : Op
{
    public override string Name => "batch_norm";
    public override string Formula => "y = (x - mean) / sqrt(var + eps) * gamma + beta";
    public override string GradFormula => "dx = gamma/sqrt(var + eps)/M * (M dy - sum(dy) - xhat * sum(dy xhat))";

    /// <summary>Returns y and the per-channel batch mean and biased variance (for the running statistics).</summary>
    public (Tensor Y, Tensor Mean, Tensor Var) Apply(Tensor x, Tensor? weight, Tensor? bias)
    {
        x.RequireFloat(Name);
        if (weight is null && bias is not null)
        {
            weight = Tensor.Ones(bias.Shape, bias.DType);
        }

        int n = x.Shape[0], c = x.Shape[1], s = (int)(x.Numel / Math.Max(1L, (long)n * c));
        foreach (var p in new[] { weight, bias })
        {
            if (p is not null && p.Shape != new Shape(c))
            {
                throw new ArgumentException($"batch_norm: weight and bias must have shape [{c}] for input {x.Shape}, got {p.Shape}");
            }
        }

        var xc = x.ContiguousNoGrad();
        var y = Tensor.Empty(x.Shape, x.DType);
        var mean = Tensor.Empty(new Shape(c), x.DType);
        var invStd = Tensor.Empty(new Shape(c), x.DType);
        var (w, b) = (weight?.CloneNoGrad(), bias?.CloneNoGrad()); // fresh arrays at offset 0
        if (x.DType == DType.Float32)
        {
            Normalization.BatchNormForward(xc.Elements<float>(), xc.Offset, y.Elements<float>(), n, c, s, w?.Elements<float>(), b?.Elements<float>(),
                (float)eps, mean.Elements<float>(), invStd.Elements<float>());
        }
        else
        {
            Normalization.BatchNormForward(xc.Elements<double>(), xc.Offset, y.Elements<double>(), n, c, s, w?.Elements<double>(), b?.Elements<double>(),
                eps, mean.Elements<double>(), invStd.Elements<double>());
        }

        var variance = ((1.0 / invStd.Square()) - eps).Detach();
        Tensor[] inputs = weight is null ? [x] : bias is null ? [x, weight] : [x, weight, bias];
        Record(y, inputs, dy => Backward(dy, x, weight, bias, mean, invStd, n, c, s));
        return (y, mean, variance);
    }

    private Tensor?[] Backward(Tensor dy, Tensor x, Tensor? weight, Tensor? bias, Tensor mean, Tensor invStd, int n, int c, int s)
    {
        var result = new Tensor?[weight is null ? 1 : bias is null ? 2 : 3];
        if (GradMode.IsEnabled)
        {
            // Differentiable form: x̂ recomputed from x in tensor ops.
            var dims = Enumerable.Range(0, x.Rank).Where(d => d != 1).ToArray();
            var view = Enumerable.Repeat(1, x.Rank).ToArray();
            view[1] = c;
            var mu = x.Mean(dims, keepDim: true);
            var r = ((x - mu).Square().Mean(dims, keepDim: true) + eps).Rsqrt();
            var xhat = (x - mu) * r;
            var g = weight is null ? dy : dy * weight.Reshape(view);
            result[0] = r * (g - g.Mean(dims, keepDim: true) - (xhat * (g * xhat).Mean(dims, keepDim: true)));
            if (weight is not null)
            {
                result[1] = (dy * xhat).Sum(dims);
            }

            if (bias is not null)
            {
                result[2] = dy.Sum(dims);
            }

            return result;
        }

        var dyc = dy.ContiguousNoGrad();
        var xc = x.ContiguousNoGrad();
        var dx = Tensor.Empty(x.Shape, x.DType);
        var dGamma = Tensor.Empty(new Shape(c), x.DType);
        var dBeta = Tensor.Empty(new Shape(c), x.DType);
        var w = weight?.CloneNoGrad();
        if (x.DType == DType.Float32)
        {
            Normalization.BatchNormBackward(xc.Elements<float>(), xc.Offset, dyc.Elements<float>(), dyc.Offset, dx.Elements<float>(), n, c, s,
                w?.Elements<float>(), mean.Elements<float>(), invStd.Elements<float>(), dGamma.Elements<float>(), dBeta.Elements<float>());
        }
        else
        {
            Normalization.BatchNormBackward(xc.Elements<double>(), xc.Offset, dyc.Elements<double>(), dyc.Offset, dx.Elements<double>(), n, c, s,
                w?.Elements<double>(), mean.Elements<double>(), invStd.Elements<double>(), dGamma.Elements<double>(), dBeta.Elements<double>());
        }

        result[0] = dx;
        if (weight is not null)
        {
            result[1] = dGamma;
        }

        if (bias is not null)
        {
            result[2] = dBeta;
        }

        return result;
    }
}
