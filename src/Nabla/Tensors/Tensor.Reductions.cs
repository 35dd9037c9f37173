using Nabla.Ops;

namespace Nabla;

public sealed partial class Tensor
{
    /// <summary>Sum of all elements (a 0-d tensor).</summary>
    public Tensor Sum() => new Sum([], false).Apply(this);

    /// <summary>Sum over <paramref name="dims"/>; with <paramref name="keepDim"/> they stay as size 1.</summary>
    public Tensor Sum(int[] dims, bool keepDim = false) => new Sum(dims, keepDim).Apply(this);

    /// <summary>Sum over one dimension.</summary>
    public Tensor Sum(int dim, bool keepDim = false) => new Sum([dim], keepDim).Apply(this);

    /// <summary>Mean of all elements.</summary>
    public Tensor Mean() => Sum() / Numel;

    /// <summary>Mean over <paramref name="dims"/>.</summary>
    public Tensor Mean(int[] dims, bool keepDim = false) => Sum(dims, keepDim) / CountOver(dims);

    /// <summary>Mean over one dimension.</summary>
    public Tensor Mean(int dim, bool keepDim = false) => Mean([dim], keepDim);

    /// <summary>
    /// Variance over <paramref name="dims"/> (all when empty): Σ(x − x̄)² / (n − 1) when <paramref name="unbiased"/>
    /// (PyTorch's default, Bessel's correction), else / n.
    /// </summary>
    public Tensor Var(int[]? dims = null, bool unbiased = true, bool keepDim = false)
    {
        dims ??= [];
        var centered = this - Mean(dims.Length == 0 ? AllDims() : dims, keepDim: true);
        long n = CountOver(dims.Length == 0 ? AllDims() : dims);
        return (centered * centered).Sum(dims.Length == 0 ? AllDims() : dims, keepDim) / Math.Max(0, n - (unbiased ? 1 : 0));
    }

    /// <summary>Standard deviation: √<see cref="Var"/>.</summary>
    public Tensor Std(int[]? dims = null, bool unbiased = true, bool keepDim = false) => Var(dims, unbiased, keepDim).Sqrt();

    /// <summary>Largest element (a 0-d tensor); tied maxima share the gradient equally, as in PyTorch.</summary>
    public Tensor Max() => ExtremeOfAll(Reshape(-1).Max(0).Values);

    /// <summary>Smallest element (a 0-d tensor); tied minima share the gradient equally.</summary>
    public Tensor Min() => ExtremeOfAll(Reshape(-1).Min(0).Values);

    /// <summary>Maximum along a dimension and its index (<c>torch.max(x, dim)</c>).</summary>
    public (Tensor Values, Tensor Indices) Max(int dim, bool keepDim = false) => new MaxAlongDim(dim, keepDim, false).Apply(this);

    /// <summary>Minimum along a dimension and its index (<c>torch.min(x, dim)</c>).</summary>
    public (Tensor Values, Tensor Indices) Min(int dim, bool keepDim = false) => new MaxAlongDim(dim, keepDim, true).Apply(this);

    /// <summary>Index of the maximum along a dimension (Int64), or of the flattened tensor when dim is null.</summary>
    public Tensor Argmax(int? dim = null, bool keepDim = false) =>
        dim is int d ? Detach().Max(d, keepDim).Indices : FlatIndex(Detach().Reshape(-1).Max(0).Indices, keepDim);

    /// <summary>Index of the minimum along a dimension (Int64), or of the flattened tensor when dim is null.</summary>
    public Tensor Argmin(int? dim = null, bool keepDim = false) =>
        dim is int d ? Detach().Min(d, keepDim).Indices : FlatIndex(Detach().Reshape(-1).Min(0).Indices, keepDim);

    /// <summary>log Σ exp(x) along a dimension, computed stably as m + log Σ exp(x − m) with m the maximum.</summary>
    /// <remarks>m is detached: the terms through m cancel exactly in the derivative, so this is still exact.</remarks>
    public Tensor LogSumExp(int dim, bool keepDim = false)
    {
        using var group = Trace.Group("logsumexp");
        var m = ShiftFor(dim);
        m = Where(m.Abs().Eq(double.PositiveInfinity), ZerosLike(m), m); // all −∞ (or +∞) rows: no shift
        var s = (this - m).Exp().Sum(dim, keepDim: true).Log() + m;
        return keepDim ? s : s.Squeeze(dim);
    }

    /// <summary>softmax(x)ᵢ = exp(xᵢ − m) / Σⱼ exp(xⱼ − m) along a dimension (m = the maximum, for stability).</summary>
    public Tensor Softmax(int dim)
    {
        using var group = Trace.Group("softmax");
        var e = (this - ShiftFor(dim)).Exp();
        return e / e.Sum(dim, keepDim: true);
    }

    /// <summary>log softmax(x) = x − logsumexp(x) along a dimension.</summary>
    public Tensor LogSoftmax(int dim)
    {
        using var group = Trace.Group("log_softmax");
        return this - LogSumExp(dim, keepDim: true);
    }

    /// <summary>The p-norm (Σ|x|ᵖ)^(1/p) of all elements; p = 2 by default.</summary>
    /// <remarks>At x = 0 the gradient is 0, as in PyTorch (a subgradient), not the 0/0 of the formula.</remarks>
    public Tensor Norm(double p = 2)
    {
        var s = p == 2 ? (this * this).Sum() : Abs().Pow(p).Sum();

        // The "double where": the root is taken of 1 where s = 0, so its derivative there is finite and masked.
        var zero = s.Detach().Eq(0.0);
        var safe = Where(zero, OnesLike(s), s);
        var root = p == 2 ? safe.Sqrt() : safe.Pow(1 / p);
        return Where(zero, ZerosLike(s), root);
    }

    // The value is the extreme m; the gradient is spread evenly over the elements equal to m
    // (PyTorch's evenly_distribute_backward): y = Σ x·1[x = m] / #{x = m}.
    private Tensor ExtremeOfAll(Tensor m)
    {
        if (!RequiresGrad || !GradMode.IsEnabled)
        {
            return m;
        }

        // m + (s − s̄): exactly m in value (a − a = 0), with the gradient of s = Σ x·mask / count.
        var mask = Detach().Eq(m.Detach()).To(DType);
        var spread = (this * mask).Sum() / mask.Sum().Clamp(min: 1);
        return m.Detach() + (spread - spread.Detach());
    }

    /// <summary>
    /// Sums this tensor down to <paramref name="shape"/>, the inverse of broadcasting (DeZero's <c>sum_to</c>).
    /// </summary>
    public Tensor SumTo(Shape shape)
    {
        if (Shape == shape)
        {
            return this;
        }

        int lead = Rank - shape.Rank;
        if (lead < 0)
        {
            throw new ArgumentException($"SumTo: cannot sum shape {Shape} to the larger rank of {shape}");
        }

        var dims = new List<int>();
        for (int i = 0; i < Rank; i++)
        {
            if (i < lead || (shape.Dims[i - lead] == 1 && Shape.Dims[i] != 1))
            {
                dims.Add(i);
            }
            else if (shape.Dims[i - lead] != Shape.Dims[i])
            {
                throw new ArgumentException($"SumTo: shape {Shape} cannot be summed to {shape}");
            }
        }

        return (dims.Count > 0 ? Sum(dims.ToArray(), keepDim: true) : this).Reshape(shape);
    }

    // With keepDim, the index into the flattened tensor keeps every dimension as size 1 (PyTorch's argmax(keepdim=True)).
    private Tensor FlatIndex(Tensor index, bool keepDim) =>
        keepDim ? index.Reshape(new Shape(Enumerable.Repeat(1, Rank).ToArray())) : index;

    // The detached per-slice maximum that stabilises exp along dim; an empty dim has no maximum (PyTorch then gives an
    // empty softmax and a logsumexp of −∞), so it shifts by 0.
    private Tensor ShiftFor(int dim) =>
        Rank > 0 && Shape[dim] == 0 ? Zeros(Shape.With(dim, 1), DType) : Detach().Max(dim, keepDim: true).Values;

    private int[] AllDims() => Enumerable.Range(0, Rank).ToArray();

    private long CountOver(int[] dims)
    {
        if (dims.Length == 0)
        {
            return Numel;
        }

        long n = 1;
        foreach (var d in dims.Select(Shape.NormalizeDim).Distinct())
        {
            n *= Rank == 0 ? 1 : Shape.Dims[d];
        }

        return n;
    }
}
