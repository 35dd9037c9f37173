using System.Numerics;
using System.Numerics.Tensors;
using Nabla.Ops.Kernels;

namespace Nabla.Ops;

/// <summary>
/// y[n, c, …] = x[n, c, …]·s[c] + t[c] in one pass: evaluation-mode batch normalisation, whose running statistics,
/// weight and bias fold into a per-channel scale s and shift t (two separate broadcast ops read and write the
/// activations twice).
/// </summary>
/// <remarks>
/// The backward is written in tensor ops (dx = dy·s, ds = Σ dy·x, dt = Σ dy over every dim but 1), so it is itself
/// differentiable and higher-order gradients reach the statistics, weight and bias through s and t.
/// </remarks>
internal sealed class ChannelAffine : Op
{
    public override string Name => "channel_affine";
    public override string Formula => "y[n,c,...] = x[n,c,...] * s[c] + t[c]";
    public override string GradFormula => "dx = dy * s[c]; ds[c] = sum(dy * x); dt[c] = sum(dy)";

    public Tensor Apply(Tensor x, Tensor s, Tensor t)
    {
        x.RequireFloat(Name);
        int c = x.Shape[1];
        if (s.Shape != new Shape(c) || t.Shape != new Shape(c) || s.DType != x.DType || t.DType != x.DType)
        {
            throw new ArgumentException($"{Name}: scale {s.Shape} ({s.DType}) and shift {t.Shape} ({t.DType}) must be [{c}] of {x.DType} for input {x.Shape}");
        }

        var y = Tensor.Empty(x.Shape, x.DType);
        var (xc, sc, tc) = (x.ContiguousNoGrad(), s.ContiguousNoGrad(), t.ContiguousNoGrad());
        if (x.DType == DType.Float32)
        {
            Run(xc.Elements<float>(), xc.Offset, sc.Elements<float>(), sc.Offset, tc.Elements<float>(), tc.Offset, y.Elements<float>(), x.Shape);
        }
        else
        {
            Run(xc.Elements<double>(), xc.Offset, sc.Elements<double>(), sc.Offset, tc.Elements<double>(), tc.Offset, y.Elements<double>(), x.Shape);
        }

        var view = Enumerable.Repeat(1, x.Rank).ToArray();
        view[1] = c;
        var dims = Enumerable.Range(0, x.Rank).Where(d => d != 1).ToArray();
        return Record(y, [x, s, t], dy =>
        [
            x.RequiresGrad ? dy * s.Reshape(view) : null,
            s.RequiresGrad ? (dy * x).Sum(dims) : null,
            t.RequiresGrad ? dy.Sum(dims) : null,
        ]);
    }

    private static void Run<T>(T[] x, int xo, T[] s, int so, T[] t, int to, T[] y, Shape shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int c = shape[1], planes = shape[0] * c, inner = (int)(shape.Numel / Math.Max(1, planes));
        Conv.For(planes, shape.Numel, p =>
        {
            // Multiply, then add, on a plane still in cache: rounded as the two broadcast ops would round.
            int ch = p % c, at = p * inner;
            var plane = y.AsSpan(at, inner);
            TensorPrimitives.Multiply(x.AsSpan(xo + at, inner), s[so + ch], plane);
            TensorPrimitives.Add(plane, t[to + ch], plane);
        });
    }
}
