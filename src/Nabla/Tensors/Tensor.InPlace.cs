using System.Numerics.Tensors;

namespace Nabla;

// In-place updates, for optimizers and initialisers. They bypass autograd, so they refuse tensors that are
// part of a recorded graph while grad mode is on (PyTorch: "a leaf Variable that requires grad is being
// used in an in-place operation").
public sealed partial class Tensor
{
    /// <summary>Sets every element to zero.</summary>
    public Tensor ZeroInPlace() => FillInPlace(0);

    /// <summary>Sets every element to <paramref name="value"/>.</summary>
    public Tensor FillInPlace(double value)
    {
        CheckInPlace("FillInPlace");
        if (IsContiguous)
        {
            switch (Data)
            {
                case float[] f: f.AsSpan(Offset, (int)Numel).Fill((float)value); return this;
                case double[] d: d.AsSpan(Offset, (int)Numel).Fill(value); return this;
            }
        }

        CopyElements(Full(Shape.Scalar, value, DType).ExpandNoGrad(Shape), this);
        return this;
    }

    /// <summary>Copies the values of <paramref name="source"/> (broadcast to this shape, converted to this dtype) into this tensor.</summary>
    public Tensor CopyInPlace(Tensor source)
    {
        CheckInPlace("CopyInPlace");
        using (GradMode.NoGrad())
        {
            CopyElements(source.Detach().To(DType).Expand(Shape), this);
        }

        return this;
    }

    /// <summary>this += alpha · other (other broadcast to this shape).</summary>
    public Tensor AddInPlace(Tensor other, double alpha = 1)
    {
        CheckInPlace("AddInPlace");
        using (GradMode.NoGrad())
        {
            if (IsContiguous && other.Shape == Shape && other.DType == DType && other.IsContiguous)
            {
                if (DType == DType.Float32)
                {
                    var y = Span<float>();
                    if (alpha == 1)
                    {
                        TensorPrimitives.Add(y, other.Span<float>(), y);
                    }
                    else
                    {
                        TensorPrimitives.MultiplyAdd(other.Span<float>(), (float)alpha, y, y);
                    }

                    return this;
                }

                if (DType == DType.Float64)
                {
                    var y = Span<double>();
                    TensorPrimitives.MultiplyAdd(other.Span<double>(), alpha, y, y);
                    return this;
                }
            }

            CopyElements((Detach() + (other.Detach() * alpha)).To(DType), this);
        }

        return this;
    }

    /// <summary>this *= factor.</summary>
    public Tensor MulInPlace(double factor)
    {
        CheckInPlace("MulInPlace");
        using (GradMode.NoGrad())
        {
            CopyElements(Detach() * factor, this);
        }

        return this;
    }

    private void CheckInPlace(string op)
    {
        if (GradMode.IsEnabled && RequiresGrad)
        {
            throw new InvalidOperationException(
                $"{op}: this tensor requires a gradient and grad mode is on, so an in-place change would corrupt the graph; wrap the update in `using (GradMode.NoGrad())`");
        }
    }
}
