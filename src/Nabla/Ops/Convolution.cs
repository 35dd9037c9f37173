using Nabla.Ops.Kernels;

namespace Nabla.Ops;

// Note [Convolution adjoints]: conv2d is bilinear in (x, w). With C(x, w) = conv2d(x, w), the two adjoints are
//   Cx*(dy, w) = conv2d_input_grad(dy, w)   (a transposed convolution)   <C(x, w), dy> = <x, Cx*(dy, w)>
//   Cw*(x, dy) = conv2d_weight_grad(x, dy)                               <C(x, w), dy> = <w, Cw*(x, dy)>
// All three are primitives here, and each one's backward is written with the three of them, so gradients of any
// order flow through a CNN:
//   conv2d:             dx = Cx*(dy, w),         dw = Cw*(x, dy),        db = Σ_{n,h,w} dy
//   conv2d_input_grad:  d(dy) = C(g, w),         dw = Cw*(g, dy)         (g = gradient of its output, shaped as x)
//   conv2d_weight_grad: dx = Cx*(dy, G),         d(dy) = C(x, G)         (G = gradient of its output, shaped as w)

/// <summary>y = conv2d(x, w) + b on [N, C, H, W] inputs (cross-correlation, as PyTorch).</summary>
internal sealed class Conv2d(ConvGeometry g) : Op
{
    public override string Name => "conv2d";
    public override string Formula => $"y[n,o,i,j] = b[o] + Σ_{{c,ki,kj}} w[o,c,ki,kj]·x[n, g·C/G + c, i·s − p + ki·d, j·s − p + kj·d] ({g})";
    public override string GradFormula => "dx = conv_transpose2d(dy, w), dw = Σ_n dy ⋆ x, db = Σ_{n,h,w} dy";

    public Tensor Apply(Tensor x, Tensor w, Tensor? b)
    {
        var d = ConvChecks.Dims(Name, g, x.Shape, w, "input");
        ConvChecks.SameFloat(Name, x, w, b);
        if (b is not null && (b.Rank != 1 || b.Shape[0] != d.O))
        {
            throw new ArgumentException($"{Name}: bias must have shape [{d.O}] (out channels), got {b.Shape}", nameof(b));
        }

        var y = Tensor.Empty(new Shape(d.N, d.O, d.OH, d.OW), x.DType);
        if (y.Numel > 0)
        {
            var (xc, wc, bc) = (x.ContiguousNoGrad(), w.ContiguousNoGrad(), b?.ContiguousNoGrad());
            if (x.DType == DType.Float32)
            {
                Conv.Forward(xc.Elements<float>(), xc.Offset, wc.Elements<float>(), wc.Offset, bc?.Elements<float>(), bc?.Offset ?? 0, y.Elements<float>(), d);
            }
            else
            {
                Conv.Forward(xc.Elements<double>(), xc.Offset, wc.Elements<double>(), wc.Offset, bc?.Elements<double>(), bc?.Offset ?? 0, y.Elements<double>(), d);
            }
        }

        Tensor[] inputs = b is null ? [x, w] : [x, w, b];
        var (xs, ws) = (x.Shape, w.Shape);
        return Record(y, inputs, dy =>
        {
            var grads = new Tensor?[inputs.Length];
            grads[0] = x.RequiresGrad ? new Conv2dInputGrad(g, xs).Apply(dy, w) : null;
            grads[1] = w.RequiresGrad ? new Conv2dWeightGrad(g, ws).Apply(x, dy) : null;
            if (b is not null && b.RequiresGrad)
            {
                grads[2] = dy.Sum([0, 2, 3]);
            }

            return grads;
        });
    }

    /// <summary>2·N·O·OH·OW·(C/G)·kH·kW (multiply and add per MAC; bias excluded).</summary>
    public long Flops(Shape x, Shape w)
    {
        long oh = g.OutH(x[2]), ow = g.OutW(x[3]);
        return 2L * x[0] * w[0] * oh * ow * w[1] * w[2] * w[3];
    }
}

/// <summary>
/// dx = conv2d_input_grad(dy, w): the adjoint of conv2d in its input, i.e. a transposed convolution
/// (<c>conv_transpose2d</c> with the same weight). The input shape is given, since several input sizes give the
/// same output size when the stride is above one.
/// </summary>
internal sealed class Conv2dInputGrad(ConvGeometry g, Shape inputShape) : Op
{
    public override string Name => "conv2d_input_grad";
    public override string Formula => $"dx[n,c,h,w] = Σ_{{o,ki,kj : h = i·s − p + ki·d, w = j·s − p + kj·d}} w[o,c,ki,kj]·dy[n,o,i,j] ({g})";
    public override string GradFormula => "d(dy) = conv2d(g, w), dw = conv2d_weight_grad(g, dy)";

    public Tensor Apply(Tensor dy, Tensor w)
    {
        var d = ConvChecks.Dims(Name, g, inputShape, w, "input shape");
        ConvChecks.SameFloat(Name, dy, w, null);
        var expected = new Shape(d.N, d.O, d.OH, d.OW);
        if (dy.Shape != expected)
        {
            throw new ArgumentException($"{Name}: grad_output must have shape {expected} for input {inputShape} and weight {w.Shape}, got {dy.Shape}", nameof(dy));
        }

        var dx = Tensor.Empty(inputShape, dy.DType);
        if (dx.Numel > 0)
        {
            var (dyc, wc) = (dy.ContiguousNoGrad(), w.ContiguousNoGrad());
            if (dy.DType == DType.Float32)
            {
                Conv.InputGrad(dyc.Elements<float>(), dyc.Offset, wc.Elements<float>(), wc.Offset, dx.Elements<float>(), d);
            }
            else
            {
                Conv.InputGrad(dyc.Elements<double>(), dyc.Offset, wc.Elements<double>(), wc.Offset, dx.Elements<double>(), d);
            }
        }

        var ws = w.Shape;
        return Record(dx, [dy, w], gx =>
            [dy.RequiresGrad ? new Conv2d(g).Apply(gx, w, null) : null,
             w.RequiresGrad ? new Conv2dWeightGrad(g, ws).Apply(gx, dy) : null]);
    }
}

/// <summary>dw = conv2d_weight_grad(x, dy): the adjoint of conv2d in its weight, Σₙ of dy correlated with x.</summary>
internal sealed class Conv2dWeightGrad(ConvGeometry g, Shape weightShape) : Op
{
    public override string Name => "conv2d_weight_grad";
    public override string Formula => $"dw[o,c,ki,kj] = Σ_{{n,i,j}} dy[n,o,i,j]·x[n, g·C/G + c, i·s − p + ki·d, j·s − p + kj·d] ({g})";
    public override string GradFormula => "dx = conv2d_input_grad(dy, G), d(dy) = conv2d(x, G)";

    public Tensor Apply(Tensor x, Tensor dy)
    {
        var d = ConvChecks.Dims(Name, g, x.Shape, weightShape, "input");
        ConvChecks.SameFloat(Name, x, dy, null);
        var expected = new Shape(d.N, d.O, d.OH, d.OW);
        if (dy.Shape != expected)
        {
            throw new ArgumentException($"{Name}: grad_output must have shape {expected} for input {x.Shape} and weight {weightShape}, got {dy.Shape}", nameof(dy));
        }

        var dw = Tensor.Empty(weightShape, x.DType);
        if (dw.Numel > 0)
        {
            var (xc, dyc) = (x.ContiguousNoGrad(), dy.ContiguousNoGrad());
            if (x.DType == DType.Float32)
            {
                Conv.WeightGrad(xc.Elements<float>(), xc.Offset, dyc.Elements<float>(), dyc.Offset, dw.Elements<float>(), d);
            }
            else
            {
                Conv.WeightGrad(xc.Elements<double>(), xc.Offset, dyc.Elements<double>(), dyc.Offset, dw.Elements<double>(), d);
            }
        }

        var xs = x.Shape;
        return Record(dw, [x, dy], gw =>
            [x.RequiresGrad ? new Conv2dInputGrad(g, xs).Apply(dy, gw) : null,
             dy.RequiresGrad ? new Conv2d(g).Apply(x, gw, null) : null]);
    }
}

/// <summary>Shape and dtype validation shared by the convolution ops (messages name the op and both shapes).</summary>
internal static class ConvChecks
{
    public static Conv.Dims Dims(string op, ConvGeometry g, Shape x, Tensor w, string what) => Dims(op, g, x, w.Shape, what);

    public static Conv.Dims Dims(string op, ConvGeometry g, Shape x, Shape w, string what)
    {
        if (g.KernelH < 1 || g.KernelW < 1 || g.StrideH < 1 || g.StrideW < 1 || g.DilationH < 1 || g.DilationW < 1
            || g.PadH < 0 || g.PadW < 0 || g.Groups < 1)
        {
            throw new ArgumentException($"{op}: invalid geometry {g} (stride, dilation and groups must be ≥ 1, padding ≥ 0)");
        }

        if (w.Rank != 4)
        {
            throw new ArgumentException($"{op}: expected a weight of rank 4 [out_channels, in_channels/groups, kH, kW], got shape {w}", nameof(w));
        }

        if (x.Rank != 4)
        {
            throw new ArgumentException($"{op}: expected {what} of rank 4 [N, C, H, W], got shape {x}", nameof(x));
        }

        if (w[2] != g.KernelH || w[3] != g.KernelW)
        {
            throw new ArgumentException($"{op}: weight {w} does not match the kernel size ({g.KernelH}, {g.KernelW})", nameof(w));
        }

        int c = w[1] * g.Groups;
        if (x[1] != c)
        {
            throw new ArgumentException(
                $"{op}: weight {w} with groups={g.Groups} expects {what} [N, {c}, H, W] ({c} channels), got {x} ({x[1]} channels)", nameof(x));
        }

        if (w[0] % g.Groups != 0)
        {
            throw new ArgumentException($"{op}: out_channels {w[0]} of weight {w} must be divisible by groups={g.Groups}", nameof(w));
        }

        var d = new Conv.Dims(x[0], x[1], x[2], x[3], w[0], g);
        if (d.OH < 1 || d.OW < 1)
        {
            throw new ArgumentException(
                $"{op}: {what} {x} is too small for kernel ({g.KernelH}, {g.KernelW}) with padding ({g.PadH}, {g.PadW}) and dilation ({g.DilationH}, {g.DilationW}): output would be {d.OH}×{d.OW}", nameof(x));
        }

        return d;
    }

    public static void SameFloat(string op, Tensor a, Tensor b, Tensor? c)
    {
        a.RequireFloat(op);
        if (b.DType != a.DType || (c is not null && c.DType != a.DType))
        {
            throw new ArgumentException($"{op}: all operands must have the same dtype, got {a.DType}, {b.DType}{(c is null ? "" : ", " + c.DType)}");
        }
    }
}
