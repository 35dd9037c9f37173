using System.Collections;
using System.Runtime.CompilerServices;

namespace Nabla;

/// <summary>The sizes of a tensor's dimensions: an immutable value with element-wise equality.</summary>
/// <remarks>
/// Written by hand rather than as a record because synthesised record equality would compare the array by
/// reference. Supports collection expressions: <c>Shape s = [2, 3];</c>.
/// </remarks>
[CollectionBuilder(typeof(Shape), nameof(Create))]
public readonly struct Shape : IEquatable<Shape>, IReadOnlyList<int>
{
    private readonly int[]? dims;

    /// <summary>Creates a shape from its dimension sizes (each must be ≥ 0).</summary>
    public Shape(params int[] dims)
    {
        foreach (var d in dims)
        {
            if (d < 0)
            {
                throw new ArgumentException($"shape dimensions must be >= 0, got [{string.Join(", ", dims)}]", nameof(dims));
            }
        }

        this.dims = (int[])dims.Clone();
    }

    /// <summary>Collection-expression builder.</summary>
    public static Shape Create(ReadOnlySpan<int> dims) => new(dims.ToArray());

    /// <summary>The shape of a scalar (zero dimensions).</summary>
    public static Shape Scalar => new([]);

    /// <summary>Number of dimensions.</summary>
    public int Rank => dims?.Length ?? 0;

    /// <inheritdoc/>
    public int Count => Rank;

    /// <summary>Total number of elements (the product of the sizes; 1 for a scalar).</summary>
    public long Numel
    {
        get
        {
            long n = 1;
            foreach (var d in Dims)
            {
                n *= d;
            }

            return n;
        }
    }

    /// <summary>The sizes as a read-only span.</summary>
    public ReadOnlySpan<int> Dims => dims ?? [];

    /// <summary>Size of dimension <paramref name="i"/>; negative indices count from the end.</summary>
    public int this[int i] => Dims[NormalizeDim(i)];

    /// <summary>
    /// Maps a possibly negative dimension index to 0..Rank-1, or throws naming the rank. A 0-d shape accepts 0 and −1
    /// (both map to 0), as PyTorch does for reductions of a scalar.
    /// </summary>
    public int NormalizeDim(int dim)
    {
        int r = Rank;
        int d = dim < 0 ? dim + Math.Max(r, 1) : dim;
        if (d < 0 || d >= Math.Max(r, 1))
        {
            throw new ArgumentOutOfRangeException(nameof(dim), $"dimension {dim} is out of range for a tensor of rank {r} (shape {this})");
        }

        return d;
    }

    /// <summary>The sizes as a new array.</summary>
    public int[] ToArray() => Dims.ToArray();

    /// <summary>Row-major (C-order) strides of a contiguous tensor of this shape.</summary>
    public int[] ContiguousStrides()
    {
        var s = new int[Rank];
        int acc = 1;
        for (int i = Rank - 1; i >= 0; i--)
        {
            s[i] = acc;
            acc *= Math.Max(Dims[i], 1);
        }

        return s;
    }

    /// <summary>A copy with the last dimension replaced (Keras-style shape inference helper).</summary>
    public Shape WithLastDim(int size)
    {
        var d = ToArray();
        d[^1] = size;
        return new Shape(d);
    }

    /// <summary>A copy with dimension <paramref name="dim"/> replaced by <paramref name="size"/>.</summary>
    public Shape With(int dim, int size)
    {
        var d = ToArray();
        d[NormalizeDim(dim)] = size;
        return new Shape(d);
    }

    /// <summary>
    /// The broadcast shape of two shapes under NumPy/PyTorch rules: align right; sizes must be equal or 1.
    /// </summary>
    /// <exception cref="ArgumentException">The shapes are not broadcastable; the message names both.</exception>
    public static Shape Broadcast(Shape a, Shape b, string op = "broadcast")
    {
        int r = Math.Max(a.Rank, b.Rank);
        var outDims = new int[r];
        for (int i = 0; i < r; i++)
        {
            int da = i < r - a.Rank ? 1 : a.Dims[i - (r - a.Rank)];
            int db = i < r - b.Rank ? 1 : b.Dims[i - (r - b.Rank)];
            if (da != db && da != 1 && db != 1)
            {
                throw new ArgumentException(
                    $"{op}: shapes {a} and {b} are not broadcastable (dimension {i} of the aligned shapes: {da} vs {db})");
            }

            outDims[i] = da == 1 ? db : da;
        }

        return new Shape(outDims);
    }

    /// <inheritdoc/>
    public bool Equals(Shape other) => Dims.SequenceEqual(other.Dims);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Shape s && Equals(s);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var d in Dims)
        {
            h.Add(d);
        }

        return h.ToHashCode();
    }

    /// <summary>Element-wise equality.</summary>
    public static bool operator ==(Shape left, Shape right) => left.Equals(right);

    /// <summary>Element-wise inequality.</summary>
    public static bool operator !=(Shape left, Shape right) => !left.Equals(right);

    /// <summary>Formats as <c>[2, 3]</c>.</summary>
    public override string ToString() => "[" + string.Join(", ", ToArray()) + "]";

    /// <inheritdoc/>
    public IEnumerator<int> GetEnumerator() => ((IEnumerable<int>)(dims ?? [])).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
