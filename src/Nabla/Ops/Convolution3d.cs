using Nabla.Ops.Kernels;

namespace Nabla.Ops;

// The 3-D convolution and its two adjoints, the same triple as Note [Convolution adjoints] in Convolution.cs:
//   conv3d:             dx = Cx*(dy, w),   dw = Cw*(x, dy),   db = Σ_{n,d,h,w} dy
//   conv3d_input_grad:  d(dy) = C(g, w),   dw = Cw*(g, dy)
//   conv3d_weight_grad: dx = Cx*(dy, G),   d(dy) = C(x, G)
// so gradients of any order flow through a volumetric CNN.

/// <summary>y = conv3d(x, w) + b on [N, C, D, H, W] inputs (cross-correlation, as PyTorch).</summary>
internal sealed class Conv3d(Conv3dGeometry g) : Op
{
    public override string Name => "conv3d";
    public override string Formula => $"y[n,o,i,j,l] = b[o] + Σ_{{c,kd,kh,kw}} w[o,c,kd,kh,kw]·x[n, g·C/G + c, i·s − p + kd·d, j·s − p + kh·d, l·s − p + kw·d] ({g})";
    public override string GradFormula => "dx = conv_transpose3d(dy, w), dw = Σ_n dy ⋆ x, db = Σ_{n,d,h,w} dy";

    public Tensor Apply(Tensor x, Tensor w, Tensor? b)
    {
        var d = Conv3dChecks.Dims(Name, g, x.Shape, w.Shape, "input");
        ConvChecks.SameFloat(Name, x, w, b);
        if (b is not null && (b.Rank != 1 || b.Shape[0] != d.O))
        {
            throw new ArgumentException($"{Name}: bias must have shape [{d.O}] (out channels), got {b.Shape}", nameof(b));
        }

        var y = Tensor.Empty(Conv3dChecks.OutputShape(d), x.DType);
        if (y.Numel > 0)
        {
            var (xc, wc, bc) = (x.ContiguousNoGrad(), w.ContiguousNoGrad(), b?.ContiguousNoGrad());
            if (x.DType == DType.Float32)
            {
                Conv3dKernel.Forward(xc.Elements<float>(), xc.Offset, wc.Elements<float>(), wc.Offset, bc?.Elements<float>(), bc?.Offset ?? 0, y.Elements<float>(), d);
            }
            else
            {
                Conv3dKernel.Forward(xc.Elements<double>(), xc.Offset, wc.Elements<double>(), wc.Offset, bc?.Elements<double>(), bc?.Offset ?? 0, y.Elements<double>(), d);
            }
        }

        Tensor[] inputs = b is null ? [x, w] : [x, w, b];
        var (xs, ws) = (x.Shape, w.Shape);
        return Record(y, inputs, dy =>
        {
            var grads = new Tensor?[inputs.Length];
            grads[0] = x.RequiresGrad ? new Conv3dInputGrad(g, xs).Apply(dy, w) : null;
            grads[1] = w.RequiresGrad ? new Conv3dWeightGrad(g, ws).Apply(x, dy) : null;
            if (b is not null && b.RequiresGrad)
            {
                grads[2] = dy.Sum([0, 2, 3, 4]);
            }

            return grads;
        });
    }
}

/// <summary>dx = conv3d_input_grad(dy, w): the adjoint of conv3d in its input (a transposed 3-D convolution).</summary>
internal sealed class Conv3dInputGrad(Conv3dGeometry g, Shape inputShape) : Op
{
    public override string Name => "conv3d_input_grad";
    public override string Formula => $"dx[n,c,d,h,w] = Σ over (o, kd, kh, kw) of the outputs that read (d, h, w): w[o,c,kd,kh,kw]·dy[n,o,i,j,l] ({g})";
    public override string GradFormula => "d(dy) = conv3d(g, w), dw = conv3d_weight_grad(g, dy)";

    public Tensor Apply(Tensor dy, Tensor w)
    {
        var d = Conv3dChecks.Dims(Name, g, inputShape, w.Shape, "input shape");
        ConvChecks.SameFloat(Name, dy, w, null);
        Conv3dChecks.GradOutput(Name, d, dy, inputShape, w.Shape);
        var dx = Tensor.Empty(inputShape, dy.DType);
        if (dx.Numel > 0)
        {
            var (dyc, wc) = (dy.ContiguousNoGrad(), w.ContiguousNoGrad());
            if (dy.DType == DType.Float32)
            {
                Conv3dKernel.InputGrad(dyc.Elements<float>(), dyc.Offset, wc.Elements<float>(), wc.Offset, dx.Elements<float>(), d);
            }
            else
            {
                Conv3dKernel.InputGrad(dyc.Elements<double>(), dyc.Offset, wc.Elements<double>(), wc.Offset, dx.Elements<double>(), d);
            }
        }

        var ws = w.Shape;
        return Record(dx, [dy, w], gx =>
            [dy.RequiresGrad ? new Conv3d(g).Apply(gx, w, null) : null,
             w.RequiresGrad ? new Conv3dWeightGrad(g, ws).Apply(gx, dy) : null]);
    }
}

/// <summary>dw = conv3d_weight_grad(x, dy): the adjoint of conv3d in its weight, Σₙ of dy correlated with x.</summary>
internal sealed class Conv3dWeightGrad(Conv3dGeometry g, Shape weightShape) : Op
{
    public override string Name => "conv3d_weight_grad";
    public override string Formula => $"dw[o,c,kd,kh,kw] = Σ_{{n,i,j,l}} dy[n,o,i,j,l]·x[n, g·C/G + c, i·s − p + kd·d, j·s − p + kh·d, l·s − p + kw·d] ({g})";
    public override string GradFormula => "dx = conv3d_input_grad(dy, G), d(dy) = conv3d(x, G)";

    public Tensor Apply(Tensor x, Tensor dy)
    {
        var d = Conv3dChecks.Dims(Name, g, x.Shape, weightShape, "input");
        ConvChecks.SameFloat(Name, x, dy, null);
        Conv3dChecks.GradOutput(Name, d, dy, x.Shape, weightShape);
        var dw = Tensor.Empty(weightShape, x.DType);
        if (dw.Numel > 0)
        {
            var (xc, dyc) = (x.ContiguousNoGrad(), dy.ContiguousNoGrad());
            if (x.DType == DType.Float32)
            {
                Conv3dKernel.WeightGrad(xc.Elements<float>(), xc.Offset, dyc.Elements<float>(), dyc.Offset, dw.Elements<float>(), d);
            }
            else
            {
                Conv3dKernel.WeightGrad(xc.Elements<double>(), xc.Offset, dyc.Elements<double>(), dyc.Offset, dw.Elements<double>(), d);
            }
        }

        var xs = x.Shape;
        return Record(dw, [x, dy], gw =>
            [x.RequiresGrad ? new Conv3dInputGrad(g, xs).Apply(dy, gw) : null,
             dy.RequiresGrad ? new Conv3d(g).Apply(x, gw, null) : null]);
    }
}

/// <summary>Shape validation of the 3-D convolution ops (messages name the op and both shapes).</summary>
internal static class Conv3dChecks
{
    public static Conv3dKernel.Dims Dims(string op, Conv3dGeometry g, Shape x, Shape w, string what)
    {
        if (!g.IsValid)
        {
            throw new ArgumentException($"{op}: invalid geometry {g} (kernel, stride, dilation and groups must be ≥ 1, padding ≥ 0)");
        }

        if (w.Rank != 5)
        {
            throw new ArgumentException($"{op}: expected a weight of rank 5 [out_channels, in_channels/groups, kD, kH, kW], got shape {w}", nameof(w));
        }

        if (x.Rank != 5)
        {
            throw new ArgumentException($"{op}: expected {what} of rank 5 [N, C, D, H, W], got shape {x}", nameof(x));
        }

        if ((w[2], w[3], w[4]) != g.Kernel)
        {
            throw new ArgumentException($"{op}: weight {w} does not match the kernel size {g.Kernel}", nameof(w));
        }

        int c = w[1] * g.Groups;
        if (x[1] != c)
        {
            throw new ArgumentException($"{op}: weight {w} with groups={g.Groups} expects {what} [N, {c}, D, H, W] ({c} channels), got {x} ({x[1]} channels)", nameof(x));
        }

        if (w[0] % g.Groups != 0)
        {
            throw new ArgumentException($"{op}: out_channels {w[0]} of weight {w} must be divisible by groups={g.Groups}", nameof(w));
        }

        var d = new Conv3dKernel.Dims(x[0], x[1], x[2], x[3], x[4], w[0], g);
        var o = d.Out;
        if (o.D < 1 || o.H < 1 || o.W < 1)
        {
            throw new ArgumentException(
                $"{op}: {what} {x} is too small for kernel {g.Kernel} with padding {g.Padding} and dilation {g.Dilation}: output would be {o.D}×{o.H}×{o.W}", nameof(x));
        }

        // One volume's column matrix (C·kD·kH·kW rows of D_out·H_out·W_out) is one array, indexed by int.
        if ((long)d.ColRows * d.P > Array.MaxLength || (long)d.O * d.P > Array.MaxLength || (long)x[1] * x[2] * x[3] * x[4] > Array.MaxLength)
        {
            throw new ArgumentException($"{op}: {what} {x} with kernel {g.Kernel} needs a column matrix of {(long)d.ColRows * d.P:N0} elements per volume, " +
                $"more than one array holds ({Array.MaxLength:N0})", nameof(x));
        }

        return d;
    }

    public static Shape OutputShape(Conv3dKernel.Dims d) => new(d.N, d.O, d.Out.D, d.Out.H, d.Out.W);

    public static void GradOutput(string op, Conv3dKernel.Dims d, Tensor dy, Shape x, Shape w)
    {
        var expected = OutputShape(d);
        if (dy.Shape != expected)
        {
            throw new ArgumentException($"{op}: grad_output must have shape {expected} for input {x} and weight {w}, got {dy.Shape}", nameof(dy));
        }
    }
}
