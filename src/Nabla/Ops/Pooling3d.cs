using Nabla.Ops.Kernels;

namespace Nabla.Ops;

// 3-D pooling, with the adjoints of Note [Pooling adjoints] in Pooling.cs: max_pool3d's backward is a scatter-add by
// the saved indices (max_pool3d_backward, whose own backward gathers), avg_pool3d's is its transpose
// (avg_pool3d_backward, whose own backward is avg_pool3d again), so double backward works through both.

/// <summary>The windows of one 3-D pooling of a fixed input size.</summary>
internal sealed record PoolPlan3d(PoolAxes3d Axes, string Description, bool CountIncludePad = true, int DivisorOverride = 0)
{
    public Shape OutputShape(Shape x) => new(x[0], x[1], Axes.D.Output, Axes.H.Output, Axes.W.Output);

    public void CheckInput(string op, Shape x)
    {
        if (x.Rank != 5)
        {
            throw new ArgumentException($"{op}: expected input of rank 5 [N, C, D, H, W], got shape {x}", nameof(x));
        }

        if (x[2] != Axes.D.Input || x[3] != Axes.H.Input || x[4] != Axes.W.Input)
        {
            throw new ArgumentException($"{op}: the pooling windows were planned for input [N, C, {Axes.D.Input}, {Axes.H.Input}, {Axes.W.Input}], got {x}", nameof(x));
        }
    }
}

/// <summary>y, idx = max over each window of x [N, C, D, H, W] (PyTorch's max_pool3d_with_indices).</summary>
internal sealed class MaxPool3d(PoolPlan3d plan) : Op
{
    public override string Name => "max_pool3d";
    public override string Formula => $"y[n,c,i,j,l] = max over the window of (i, j, l) of x[n,c] ({plan.Description})";
    public override string GradFormula => "dx = scatter_add of dy at the argmax indices";

    public (Tensor Values, Tensor Indices) Apply(Tensor x)
    {
        x.RequireFloat(Name);
        plan.CheckInput(Name, x.Shape);
        var shape = plan.OutputShape(x.Shape);
        var y = Tensor.Empty(shape, x.DType);
        var idx = Tensor.Empty(shape, DType.Int64);
        int planes = x.Shape[0] * x.Shape[1];
        var xc = x.ContiguousNoGrad();
        if (x.DType == DType.Float32)
        {
            Pool3d.MaxForward(xc.Elements<float>(), xc.Offset, planes, plan.Axes, y.Elements<float>(), idx.Elements<long>());
        }
        else
        {
            Pool3d.MaxForward(xc.Elements<double>(), xc.Offset, planes, plan.Axes, y.Elements<double>(), idx.Elements<long>());
        }

        var xs = x.Shape;
        return (Record(y, [x], dy => [new MaxPool3dBackward(xs).Apply(dy, idx)]), idx);
    }
}

/// <summary>dx = zeros(input shape), dx[n, c, idx[n,c,i,j,l]] += dy[n,c,i,j,l] (the adjoint of max pooling's gather).</summary>
internal sealed class MaxPool3dBackward(Shape inputShape) : Op
{
    public override string Name => "max_pool3d_backward";
    public override string Formula => "dx[n,c,idx[n,c,i,j,l]] += dy[n,c,i,j,l]";
    public override string GradFormula => "d(dy) = gather(g, idx)";

    public Tensor Apply(Tensor dy, Tensor idx)
    {
        dy.RequireFloat(Name);
        if (idx.DType != DType.Int64 || idx.Shape != dy.Shape || dy.Rank != 5 || dy.Shape[0] != inputShape[0] || dy.Shape[1] != inputShape[1])
        {
            throw new ArgumentException($"{Name}: grad_output {dy.Shape} and Int64 indices {idx.Shape} ({idx.DType}) must have the same [N, C, oD, oH, oW] shape for input {inputShape}");
        }

        int planes = inputShape[0] * inputShape[1], vol = inputShape[2] * inputShape[3] * inputShape[4], l = dy.Shape[2] * dy.Shape[3] * dy.Shape[4];
        var dx = Tensor.Empty(inputShape, dy.DType);
        var (dyc, ic) = (dy.ContiguousNoGrad(), idx.ContiguousNoGrad());
        if (dy.DType == DType.Float32)
        {
            Pool.ScatterAdd(dyc.Elements<float>(), dyc.Offset, ic.Elements<long>(), ic.Offset, planes, l, vol, dx.Elements<float>());
        }
        else
        {
            Pool.ScatterAdd(dyc.Elements<double>(), dyc.Offset, ic.Elements<long>(), ic.Offset, planes, l, vol, dx.Elements<double>());
        }

        var (n, c) = (inputShape[0], inputShape[1]);
        var dys = dy.Shape;
        return Record(dx, [dy], g => [g.Reshape(n, c, vol).Gather(2, idx.Reshape(n, c, l)).Reshape(dys)]);
    }
}

/// <summary>y = mean over each window of x [N, C, D, H, W] (PyTorch's avg_pool3d and adaptive_avg_pool3d).</summary>
internal sealed class AvgPool3d(PoolPlan3d plan) : Op
{
    public override string Name => "avg_pool3d";
    public override string Formula => $"y[n,c,i,j,l] = Σ window(i, j, l) of x[n,c] / divisor ({plan.Description})";
    public override string GradFormula => "dx = avg_pool3d_backward(dy): dy / divisor spread over each window";

    public Tensor Apply(Tensor x)
    {
        x.RequireFloat(Name);
        plan.CheckInput(Name, x.Shape);
        var y = Tensor.Empty(plan.OutputShape(x.Shape), x.DType);
        int planes = x.Shape[0] * x.Shape[1];
        var xc = x.ContiguousNoGrad();
        if (x.DType == DType.Float32)
        {
            Pool3d.AvgForward(xc.Elements<float>(), xc.Offset, planes, plan.Axes, plan.CountIncludePad, plan.DivisorOverride, y.Elements<float>());
        }
        else
        {
            Pool3d.AvgForward(xc.Elements<double>(), xc.Offset, planes, plan.Axes, plan.CountIncludePad, plan.DivisorOverride, y.Elements<double>());
        }

        var xs = x.Shape;
        return Record(y, [x], dy => [new AvgPool3dBackward(plan, xs).Apply(dy)]);
    }
}

/// <summary>dx = Aᵀ dy, the adjoint of 3-D average pooling: each dy / divisor is added to every element of its window.</summary>
internal sealed class AvgPool3dBackward(PoolPlan3d plan, Shape inputShape) : Op
{
    public override string Name => "avg_pool3d_backward";
    public override string Formula => $"dx[n,c,d,h,w] = Σ over windows containing (d, h, w) of dy[n,c,i,j,l] / divisor ({plan.Description})";
    public override string GradFormula => "d(dy) = avg_pool3d(g)";

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
            Pool3d.AvgBackward(dyc.Elements<float>(), dyc.Offset, planes, plan.Axes, plan.CountIncludePad, plan.DivisorOverride, dx.Elements<float>());
        }
        else
        {
            Pool3d.AvgBackward(dyc.Elements<double>(), dyc.Offset, planes, plan.Axes, plan.CountIncludePad, plan.DivisorOverride, dx.Elements<double>());
        }

        return Record(dx, [dy], g => [new AvgPool3d(plan).Apply(g)]);
    }
}
