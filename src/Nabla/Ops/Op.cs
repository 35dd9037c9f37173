using System.Numerics;

namespace Nabla.Ops;

/// <summary>
/// A primitive operation: a forward kernel and a backward rule side by side, with its formula for
/// explanations and its FLOP count. Composite operations (softmax, losses, ...) are written in these.
/// </summary>
/// <remarks>
/// Note [Backward in tensor ops]: every backward rule returns tensors computed by primitives, never raw
/// loops, so a backward pass run with grad mode on records its own graph and higher derivatives work.
/// </remarks>
internal abstract class Op
{
    /// <summary>Short lower-case name, as PyTorch's op name (<c>mul</c>, <c>sum</c>).</summary>
    public abstract string Name { get; }

    /// <summary>The forward formula in words a learner reads (<c>y = exp(x)</c>).</summary>
    public abstract string Formula { get; }

    /// <summary>The chain-rule factor (<c>dx = dy ⊙ y</c>).</summary>
    public abstract string GradFormula { get; }

    /// <summary>
    /// Attaches a <see cref="Node"/> to <paramref name="output"/> when grad mode is on and any input requires a
    /// gradient. <paramref name="backward"/> returns one gradient per input (null where none is needed).
    /// </summary>
    protected Tensor Record(Tensor output, Tensor[] inputs, Func<Tensor, Tensor?[]> backward)
    {
        if (Trace.IsActive)
        {
            Trace.OnForward(Name, Formula, inputs, output);
        }

        var anomaly = Anomaly.Active;
        anomaly?.CheckForward(Name, inputs, output);
        if (!GradMode.IsEnabled)
        {
            return output;
        }

        Tensor?[]? needing = null;
        for (int i = 0; i < inputs.Length; i++)
        {
            if (inputs[i].RequiresGrad)
            {
                needing ??= new Tensor?[inputs.Length];
                needing[i] = inputs[i];
            }
        }

        if (needing is not null)
        {
            output.GradFn = new Node(Name, needing, backward) { GradFormula = GradFormula, Site = anomaly?.Site(inputs) };
        }

        return output;
    }
}

/// <summary>An element-wise op of one float tensor: y = f(x).</summary>
internal abstract class UnaryOp : Op
{
    /// <summary>Runs the kernel on a contiguous copy of x and records the node.</summary>
    public Tensor Apply(Tensor x)
    {
        x.RequireFloat(Name);
        var xc = x.Contiguous();
        var y = Tensor.Empty(x.Shape, x.DType);

        // Some TensorPrimitives kernels (Sigmoid) reject empty spans: a zero-size tensor needs no work.
        if (y.Numel > 0)
        {
            int xo = xc.Offset;
            if (x.DType == DType.Float32)
            {
                var (xa, ya) = (xc.Elements<float>(), y.Elements<float>());
                Chunks.For((int)y.Numel, (s, n) => Kernel<float>(xa.AsSpan(xo + s, n), ya.AsSpan(s, n)));
            }
            else
            {
                var (xa, ya) = (xc.Elements<double>(), y.Elements<double>());
                Chunks.For((int)y.Numel, (s, n) => Kernel<double>(xa.AsSpan(xo + s, n), ya.AsSpan(s, n)));
            }
        }

        return Record(y, [x], dy => [Backward(dy, x, y)]);
    }

    /// <summary>y = f(x), element-wise, on spans of equal length.</summary>
    protected abstract void Kernel<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>dL/dx from dL/dy, the input and the output, in tensor ops.</summary>
    public abstract Tensor Backward(Tensor dy, Tensor x, Tensor y);
}

/// <summary>Splits element-wise work between threads when it is large enough to pay for the scheduling.</summary>
internal static class Chunks
{
    /// <summary>Element count from which element-wise kernels run on several threads.</summary>
    public const int MinParallel = 1 << 16;

    /// <summary>Calls body(start, count) over [0, length), in one piece or in Threads.Count pieces.</summary>
    public static void For(int length, Action<int, int> body)
    {
        int parts = Threads.Count > 1 && length >= MinParallel ? Math.Min(Threads.Count, length / (MinParallel / 2)) : 1;
        if (parts <= 1)
        {
            body(0, length);
            return;
        }

        Parallel.For(0, parts, Threads.Options, t =>
        {
            int start = (int)((long)length * t / parts), end = (int)((long)length * (t + 1) / parts);
            body(start, end - start);
        });
    }
}
