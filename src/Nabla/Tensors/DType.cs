namespace Nabla;

/// <summary>The element type of a <see cref="Tensor"/> (PyTorch's <c>torch.dtype</c>).</summary>
public enum DType
{
    /// <summary>32-bit IEEE float: the training type (<c>torch.float32</c>).</summary>
    Float32,

    /// <summary>64-bit IEEE float: gradient checks and exact worked solutions (<c>torch.float64</c>).</summary>
    Float64,

    /// <summary>64-bit signed integer: indices and class labels (<c>torch.int64</c>).</summary>
    Int64,

    /// <summary>Boolean: masks and comparison results (<c>torch.bool</c>).</summary>
    Bool,
}

/// <summary>Helpers on <see cref="DType"/>.</summary>
public static class DTypeExtensions
{
    /// <summary>True for <see cref="DType.Float32"/> and <see cref="DType.Float64"/>, the types autograd works on.</summary>
    public static bool IsFloatingPoint(this DType dtype) => dtype is DType.Float32 or DType.Float64;

    /// <summary>Size of one element in bytes.</summary>
    public static int ElementSize(this DType dtype) => dtype switch
    {
        DType.Float32 => 4,
        DType.Float64 => 8,
        DType.Int64 => 8,
        _ => 1,
    };

    /// <summary>The dtype of an arithmetic result (PyTorch type promotion restricted to our four types).</summary>
    public static DType Promote(DType a, DType b) => Rank(a) <= Rank(b) ? a : b;

    // Lower rank wins: Float64 > Float32 > Int64 > Bool.
    private static int Rank(DType d) => d switch
    {
        DType.Float64 => 0,
        DType.Float32 => 1,
        DType.Int64 => 2,
        _ => 3,
    };
}
