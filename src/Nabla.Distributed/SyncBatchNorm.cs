namespace Nabla.NN;

/// <summary>
/// Batch normalisation whose batch statistics are those of the global batch, over every process of data-parallel
/// training (PyTorch's <c>torch.nn.SyncBatchNorm</c>): μ = Σᵣ Σ x / M and σ² = Σᵣ Σ (x − μ)² / M, where M counts
/// the values per channel on all processes; then y = (x − μ)/√(σ² + ε)·γ + β, and the running statistics are updated
/// with μ and the unbiased σ²·M/(M − 1), as <see cref="BatchNorm2d"/> does on one process with the whole batch.
/// </summary>
/// <remarks>
/// The sums cross processes through a differentiable all-reduce (its backward all-reduces the gradient), so backward
/// needs no rule of its own: two all-reduces forward, two backward. In evaluation it is a plain batch norm with the
/// running statistics. Inputs (N, C), (N, C, L), (N, C, H, W) or (N, C, D, H, W).
/// </remarks>
public sealed class SyncBatchNorm(int numFeatures, double eps = 1e-5, double momentum = 0.1, bool affine = true,
    bool trackRunningStats = true, DType dtype = DType.Float32)
    : BatchNormBase(numFeatures, eps, momentum, affine, trackRunningStats, [2, 3, 4, 5], dtype)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        if (!IsTraining && RunningMean is not null)
        {
            return base.Forward(input);
        }

        CheckInput(input, null, $"(N, {NumFeatures}, *)", s => s.Rank is >= 2 and <= 5 && s[1] == NumFeatures);
        int c = NumFeatures;
        var dims = Enumerable.Range(0, input.Rank).Where(d => d != 1).ToArray();
        var view = Enumerable.Repeat(1, input.Rank).ToArray();
        view[1] = c;
        var count = Tensor.Full(new Shape(1), input.Numel / c, input.DType);
        var sums = DifferentiableAllReduce(Tensor.Cat([input.Sum(dims), count]));
        double m = sums[c].Item();
        if (m <= 1)
        {
            throw new ArgumentException($"SyncBatchNorm: expected more than 1 value per channel when training, got input {input.Shape} on {Distributed.WorldSize} process(es)");
        }

        var mean = sums.Narrow(0, 0, c) / m;
        var centered = input - mean.Reshape(view);
        var variance = DifferentiableAllReduce(centered.Square().Sum(dims)) / m;
        var y = centered * (variance + Eps).Rsqrt().Reshape(view);
        if (Weight is not null)
        {
            y = y * Weight.Reshape(view);
        }

        if (Bias is not null)
        {
            y = y + Bias.Reshape(view);
        }

        UpdateRunningStats(mean, variance, m);
        return y;
    }

    /// <summary>
    /// Replaces every <see cref="BatchNorm1d"/> and <see cref="BatchNorm2d"/> in <paramref name="module"/> (or the
    /// module itself) by a <see cref="SyncBatchNorm"/> with the same settings, weights and running statistics
    /// (PyTorch's <c>convert_sync_batchnorm</c>). Returns the module, or the replacement when it is itself a batch norm.
    /// </summary>
    public static Module ConvertSyncBatchNorm(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (module is BatchNormBase bn and not SyncBatchNorm)
        {
            return Convert(bn);
        }

        foreach (var (name, child) in module.NamedChildren().ToList())
        {
            var converted = ConvertSyncBatchNorm(child);
            if (!ReferenceEquals(converted, child))
            {
                module.ReplaceModule(name, converted);
            }
        }

        return module;
    }

    private static SyncBatchNorm Convert(BatchNormBase bn)
    {
        var dtype = (bn.Weight ?? bn.RunningMean)?.DType ?? DType.Float32;
        var sync = new SyncBatchNorm(bn.NumFeatures, bn.Eps, bn.Momentum, bn.Weight is not null, bn.RunningMean is not null, dtype);
        using (GradMode.NoGrad())
        {
            foreach (var (name, t) in bn.StateDict())
            {
                sync.StateDict()[name].CopyInPlace(t);
            }
        }

        sync.Train(bn.IsTraining);
        return sync;
    }

    private void UpdateRunningStats(Tensor mean, Tensor variance, double m)
    {
        if (RunningMean is null || RunningVar is null)
        {
            return;
        }

        using (GradMode.NoGrad())
        {
            NumBatchesTracked?.FillInPlace(NumBatchesTracked.Item() + 1);
            RunningMean.CopyInPlace((RunningMean * (1 - Momentum)) + (mean.Detach() * Momentum));
            RunningVar.CopyInPlace((RunningVar * (1 - Momentum)) + (variance.Detach() * (m / (m - 1)) * Momentum));
        }
    }

    /// <summary>y = Σᵣ xᵣ on every process; backward: dx = Σᵣ dyᵣ (the adjoint of a sum that every process receives).</summary>
    internal static Tensor DifferentiableAllReduce(Tensor x)
    {
        var y = x.Detach().CloneNoGrad();
        Distributed.AllReduce(y, ReduceOp.Sum);
        if (GradMode.IsEnabled && x.RequiresGrad)
        {
            y.GradFn = new Node("all_reduce", [x], dy =>
            {
                var dx = dy.Detach().CloneNoGrad();
                Distributed.AllReduce(dx, ReduceOp.Sum);
                return [dx];
            });
        }

        return y;
    }
}
