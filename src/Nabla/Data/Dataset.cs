namespace Nabla.Data;

/// <summary>One batch (or one sample) of inputs and targets.</summary>
/// <param name="Input">The inputs, batch first (for images <c>(N, C, H, W)</c>).</param>
/// <param name="Target">The targets (class indices as Int64 for classification).</param>
public readonly record struct Batch(Tensor Input, Tensor Target);

/// <summary>
/// A finite, indexable collection of (input, target) samples (PyTorch's map-style <c>torch.utils.data.Dataset</c>).
/// </summary>
/// <remarks>
/// Subclasses implement <see cref="Count"/> and <see cref="Get"/>; <see cref="GetBatch"/> stacks samples and may be
/// overridden with a faster gather (as <see cref="TensorDataset"/> does).
/// </remarks>
public abstract class Dataset
{
    /// <summary>The number of samples (<c>len(dataset)</c>).</summary>
    public abstract int Count { get; }

    /// <summary>The sample at <paramref name="index"/> (<c>dataset[i]</c>), without a batch dimension.</summary>
    public abstract Batch Get(int index);

    /// <summary>The samples at <paramref name="indices"/> stacked along a new first dimension.</summary>
    public virtual Batch GetBatch(IReadOnlyList<int> indices)
    {
        var samples = indices.Select(Get).ToList();
        return new Batch(Tensor.Stack(samples.Select(s => s.Input).ToList()), Tensor.Stack(samples.Select(s => s.Target).ToList()));
    }

    /// <summary>Throws when <paramref name="index"/> is outside [0, <see cref="Count"/>).</summary>
    protected void CheckIndex(int index)
    {
        if ((uint)index >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"index {index} is out of range for a dataset of {Count} samples");
        }
    }
}

/// <summary>A dataset over two tensors whose first dimension indexes the samples (PyTorch's <c>TensorDataset</c>).</summary>
public sealed class TensorDataset : Dataset
{
    /// <summary>Creates the dataset; <paramref name="inputs"/> and <paramref name="targets"/> must have the same first dimension.</summary>
    public TensorDataset(Tensor inputs, Tensor targets)
    {
        if (inputs.Rank == 0 || targets.Rank == 0 || inputs.Shape[0] != targets.Shape[0])
        {
            throw new ArgumentException($"TensorDataset: inputs {inputs.Shape} and targets {targets.Shape} must have the same first dimension");
        }

        Inputs = inputs.Detach().Contiguous();
        Targets = targets.Detach().Contiguous();
    }

    /// <summary>All inputs, samples along dimension 0.</summary>
    public Tensor Inputs { get; }

    /// <summary>All targets, samples along dimension 0.</summary>
    public Tensor Targets { get; }

    /// <inheritdoc/>
    public override int Count => Inputs.Shape[0];

    /// <inheritdoc/>
    public override Batch Get(int index)
    {
        CheckIndex(index);
        return new Batch(Inputs.Select(0, index), Targets.Select(0, index));
    }

    /// <inheritdoc/>
    public override Batch GetBatch(IReadOnlyList<int> indices)
    {
        foreach (int i in indices)
        {
            CheckIndex(i);
        }

        return new Batch(GatherRows(Inputs, indices), GatherRows(Targets, indices));
    }

    /// <summary>The samples [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>) as a new dataset (shares no storage).</summary>
    public TensorDataset Slice(int start, int count)
    {
        if (start < 0 || count < 0 || start + count > Count)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"Slice({start}, {count}) is out of range for a dataset of {Count} samples");
        }

        var idx = Enumerable.Range(start, count).ToArray();
        return new TensorDataset(GatherRows(Inputs, idx), GatherRows(Targets, idx));
    }

    /// <summary>Copies rows of a contiguous tensor into a new contiguous tensor (one array copy per row).</summary>
    internal static Tensor GatherRows(Tensor t, IReadOnlyList<int> indices)
    {
        var c = t.IsContiguous ? t : t.Contiguous();
        int row = c.Shape[0] == 0 ? 0 : checked((int)(c.Numel / c.Shape[0]));
        var dims = c.Shape.ToArray();
        dims[0] = indices.Count;
        var dst = Array.CreateInstance(c.Data.GetType().GetElementType()!, (long)row * indices.Count);
        for (int j = 0; j < indices.Count; j++)
        {
            Array.Copy(c.Data, c.Offset + ((long)indices[j] * row), dst, (long)j * row, row);
        }

        return new Tensor(dst, c.DType, new Shape(dims));
    }
}

/// <summary>A view of some samples of another dataset, by index (PyTorch's <c>Subset</c>).</summary>
public sealed class Subset(Dataset dataset, IReadOnlyList<int> indices) : Dataset
{
    /// <summary>The underlying dataset.</summary>
    public Dataset Source { get; } = dataset;

    /// <summary>The indices into <see cref="Source"/>.</summary>
    public IReadOnlyList<int> Indices { get; } = indices;

    /// <inheritdoc/>
    public override int Count => Indices.Count;

    /// <inheritdoc/>
    public override Batch Get(int index)
    {
        CheckIndex(index);
        return Source.Get(Indices[index]);
    }

    /// <inheritdoc/>
    public override Batch GetBatch(IReadOnlyList<int> indices) => Source.GetBatch(indices.Select(i => Indices[i]).ToList());
}
