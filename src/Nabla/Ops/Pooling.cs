using Nabla.Ops.Kernels;

namespace Nabla.Ops;

// Note [Pooling adjoints]: both poolings are linear maps once the windows (and, for max, the argmax indices) are
// fixed, so each backward is the adjoint map, written as a primitive whose own backward is the forward map again:
//   max_pool2d:          y = gather(x, idx)        dx = max_pool2d_backward(dy, idx)   (scatter-add by idx)
//   max_pool2d_backward: dx = scatter(dy, idx)     d(dy) = gather(g, idx)              (Tensor.Gather, a primitive)
//   avg_pool2d:          y = A x                   dx = avg_pool2d_backward(dy) = Aᵀ dy
//   avg_pool2d_backward: dx = Aᵀ dy                d(dy) = avg_pool2d(g) = A g
// So double backward works through both (the indices are constants, as in PyTorch).

/// <summary>The windows of one 2-D pooling of a fixed input size (see <see cref="PoolAxis"/>).</summary>
internal sealed record PoolPlan(PoolAxis H, PoolAxis W, string Description, bool CountIncludePad = true, int DivisorOverride = 0)
{
    public Shape OutputShape(Shape x) => new(x[0], x[1], H.Output, W.Output);

    public void CheckInput(string op, Shape x)
    {
        if (x.Rank != 4)
        {
            throw new ArgumentException($"{op}: expected input of rank 4 [N, C, H, W], got shape {x}", nameof(x));
        }

        if (x[2] != H.Input || x[3] != W.Input)
        {
            throw new ArgumentException($"{op}: the pooling windows were planned for input [N, C, {H.Input}, {W.Input}], got {x}", nameof(x));
        }
    }
}

/// <summary>y, idx = max over each window of x [N, C, H, W] (PyTorch's max_pool2d_with_indices).</summary>
internal sealed class MaxPool2d(PoolPlan plan) : Op
{
    public override string Name => "max_pool2d";
    public override string Formula => $"y[n,c,i,j] = max over the window of (i, j) of x[n,c] ({plan.Description})";
    public override string GradFormula => "dx = scatter_add of dy at the argmax indices";

    /// <summary>
    /// The maxima and, when <paramref name="withIndices"/> or a gradient will be needed, their flat positions
    /// (null otherwise: inference skips the argmax and its Int64 array).
    /// </summary>
    public (Tensor Values, Tensor? Indices) Apply(Tensor x, bool withIndices = true)
    {
        x.RequireFloat(Name);
        plan.CheckInput(Name, x.Shape);
        var shape = plan.OutputShape(x.Shape);
        var y = Tensor.Empty(shape, x.DType);
        int planes = x.Shape[0] * x.Shape[1];
        var xc = x.ContiguousNoGrad();
        if (!withIndices && !(GradMode.IsEnabled && x.RequiresGrad))
        {
            if (x.DType == DType.Float32)
            {
                Pool.MaxValues(xc.Elements<float>(), xc.Offset, planes, plan.H, plan.W, y.Elements<float>());
            }
            else
            {
                Pool.MaxValues(xc.Elements<double>(), xc.Offset, planes, plan.H, plan.W, y.Elements<double>());
            }

            return (Record(y, [x], _ => throw new InvalidOperationException($"{Name}: no indices were kept")), null);
        }

        var idx = Tensor.Empty(shape, DType.Int64);
        if (x.DType == DType.Float32)
        {
            Pool.MaxForward(xc.Elements<float>(), xc.Offset, planes, plan.H, plan.W, y.Elements<float>(), idx.Elements<long>());
        }
        else
        {
            Pool.MaxForward(xc.Elements<double>(), xc.Offset, planes, plan.H, plan.W, y.Elements<double>(), idx.Elements<long>());
        }

        var xs = x.Shape;
        return (Record(y, [x], dy => [new MaxPool2dBackward(xs).Apply(dy, idx)]), idx);
    }
}

/// <summary>dx = zeros(input shape), dx[n, c, idx[n,c,i,j]] += dy[n,c,i,j] (the adjoint of max pooling's gather).</summary>
internal sealed class MaxPool2dBackward(Shape inputShape) : Op
{
    public override string Name => "max_pool2d_backward";
    public override string Formula => "dx[n,c,idx[n,c,i,j]] += dy[n,c,i,j]";
    public override string GradFormula => "d(dy) = gather(g, idx)";

    public Tensor Apply(Tensor dy, Tensor idx)
    {
        dy.RequireFloat(Name);
        if (idx.DType != DType.Int64 || idx.Shape != dy.Shape || dy.Rank != 4 || dy.Shape[0] != inputShape[0] || dy.Shape[1] != inputShape[1])
        {
            throw new ArgumentException($"{Name}: grad_output {dy.Shape} and Int64 indices {idx.Shape} ({idx.DType}) must have the same [N, C, oH, oW] shape for input {inputShape}");
        }

        int planes = inputShape[0] * inputShape[1], hw = inputShape[2] * inputShape[3], l = dy.Shape[2] * dy.Shape[3];
        var dx = Tensor.Empty(inputShape, dy.DType);
        var (dyc, ic) = (dy.ContiguousNoGrad(), idx.ContiguousNoGrad());
        if (dy.DType == DType.Float32)
        {
            Pool.ScatterAdd(dyc.Elements<float>(), dyc.Offset, ic.Elements<long>(), ic.Offset, planes, l, hw, dx.Elements<float>());
        }
        else
        {
            Pool.ScatterAdd(dyc.Elements<double>(), dyc.Offset, ic.Elements<long>(), ic.Offset, planes, l, hw, dx.Elements<double>());
        }

        var (n, c) = (inputShape[0], inputShape[1]);
        var dys = dy.Shape;
        return Record(dx, [dy], g =>
            [g.Reshape(n, c, hw).Gather(2, idx.Reshape(n, c, l)).Reshape(dys)]);
    }
}

/// <summary>y = mean over each window of x [N, C, H, W] (PyTorch's avg_pool2d and adaptive_avg_pool2d).</summary>
internal sealed class AvgPool2d(PoolPlan plan) : Op
{
    public override string Name => "avg_pool2d";
    public override string Formula => $"y[n,c,i,j] = Σ window(i, j) of x[n,c] / divisor ({plan.Description})";
    public override string GradFormula => "dx = avg_pool2d_backward(dy): dy / divisor spread over each window";

    public Tensor Apply(Tensor x)
    {
        x.RequireFloat(Name);
        plan.CheckInput(Name, x.Shape);
        var y = Tensor.Empty(plan.OutputShape(x.Shape), x.DType);
        int planes = x.Shape[0] * x.Shape[1];
        var xc = x.ContiguousNoGrad();
        if (x.DType == DType.Float32)
        {
            Pool.AvgForward(xc.Elements<float>(), xc.Offset, planes, plan.H, plan.W, plan.CountIncludePad, plan.DivisorOverride, y.Elements<float>());
        }
        else
        {
            Pool.AvgForward(xc.Elements<double>(), xc.Offset, planes, plan.H, plan.W, plan.CountIncludePad, plan.DivisorOverride, y.Elements<double>());
        }

        var xs = x.Shape;
        return Record(y, [x], dy => [new AvgPool2dBackward(plan, xs).Apply(dy)]);
    }
}

/// <summary>dx = Aᵀ dy, the adjoint of average pooling: each dy / divisor is added to every element of its window.</summary>
internal sealed class AvgPool2dBackward(PoolPlan plan, Shape inputShape) : Op
{
    public override string Name => "avg_pool2d_backward";
    public override string Formula => $"dx[n,c,h,w] = Σ over windows containing (h, w) of dy[n,c,i,j] / divisor ({plan.Description})";
    public override string GradFormula => "d(dy) = avg_pool2d(g)";

    public Tensor Apply(Tensor dy)
    {
        dy.RequireFloat(Name);
        var expected = plan.OutputShape(inputShape);
        if (dy.Shape != expected)
        {
            throw new ArgumentException($"{Name}: grad_output must have shape {expected} for input {inputShape}, got {dy.Shape}", nameof(dy));
        }

        var dx = Tensor.Empty(inputShape, dy.DType);
        int planes = inputShape[0] * inputShape[1];
        var dyc = dy.ContiguousNoGrad();
        if (dy.DType == DType.Float32)
        {
            Pool.AvgBackward(dyc.Elements<float>(), dyc.Offset, planes, plan.H, plan.W, plan.CountIncludePad, plan.DivisorOverride, dx.Elements<float>());
        }
        else
        {
            Pool.AvgBackward(dyc.Elements<double>(), dyc.Offset, planes, plan.H, plan.W, plan.CountIncludePad, plan.DivisorOverride, dx.Elements<double>());
        }

        return Record(dx, [dy], g => [new AvgPool2d(plan).Apply(g)]);
    }
}
