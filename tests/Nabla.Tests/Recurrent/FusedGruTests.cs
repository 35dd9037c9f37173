using Nabla.NN;
using static Nabla.Tests.Recurrent.RecurrentLayerTests;

namespace Nabla.Tests.Recurrent;

/// <summary>The fused GRU layer (the <c>gru_layer</c> op) against the composite cell it replaces, which stays the oracle.</summary>
[Collection(GlobalStateCollection.Name)]
public sealed class FusedGruTests
{
    /// <summary>Float64, 2 layers, bidirectional, with and without lengths: outputs, h_n and every gradient.</summary>
    /// <remarks>H = 8 and 3 rows: the vectorised gate math of the double path (8 lanes) and no packed GEMM.</remarks>
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Fused_gru_matches_the_composite_cell(bool batchFirst, bool withLengths)
    {
        var g = new Generator(5);
        var gru = new GRU(3, 8, 2, batchFirst: batchFirst, bidirectional: true, generator: g, dtype: DType.Float64);
        var x = Tensor.Randn(batchFirst ? new Shape(3, 5, 3) : new Shape(5, 3, 3), g, DType.Float64).RequireGrad();
        var h0 = Tensor.Randn(new Shape(4, 3, 8), g, DType.Float64).RequireGrad();
        int[]? lengths = withLengths ? [5, 2, 4] : null;
        var up = Tensor.Randn(batchFirst ? new Shape(3, 5, 16) : new Shape(5, 3, 16), g, DType.Float64);
        var uh = Tensor.Randn(new Shape(4, 3, 8), g, DType.Float64);

        (Tensor Y, Tensor H, Tensor[] Grads) Run(bool fused)
        {
            gru.UseFusedKernel = fused;
            gru.ZeroGrad();
            x.Grad = null;
            h0.Grad = null;
            var (y, h) = gru.Forward(x, h0, lengths);
            ((y * up).Sum() + (h * uh).Sum()).Backward();
            return (y, h, [x.Grad!, h0.Grad!, .. gru.Parameters().Select(p => p.Grad!)]);
        }

        var fast = Run(true);
        var slow = Run(false);
        AssertClose(slow.Y, fast.Y, 1e-12);
        AssertClose(slow.H, fast.H, 1e-12);
        for (int i = 0; i < fast.Grads.Length; i++)
        {
            AssertClose(slow.Grads[i], fast.Grads[i], 1e-11);
        }
    }

    /// <summary>
    /// Float32 with H a multiple of 32: the packed per-step GEMMs (8-row tiles plus single rows) and the FastMath gate
    /// math, against the composite cell in float32; on 2 threads the rows are split between threads.
    /// </summary>
    [Theory]
    [InlineData(32, 11, 1, true)]
    [InlineData(32, 9, 1, false)]
    [InlineData(64, 64, 2, true)]
    [InlineData(48, 20, 2, true)]
    public void Fused_gru_float32_matches_the_composite(int hidden, int batch, int threads, bool bias)
    {
        int saved = Threads.Count;
        Threads.Count = threads;
        try
        {
            var g = new Generator(9);
            var gru = new GRU(5, hidden, bias: bias, bidirectional: true, generator: g);
            var x = Tensor.Randn(new Shape(6, batch, 5), g).RequireGrad();
            int[] lengths = Enumerable.Range(0, batch).Select(b => (int[])[6, 5, 1, 6, 2, 3, 6, 4, 6, 6, 1] is var l ? l[b % l.Length] : 0).ToArray();
            var up = Tensor.Randn(new Shape(6, batch, 2 * hidden), g);
            (Tensor Y, Tensor H, Tensor[] Grads) Run(bool fused)
            {
                gru.UseFusedKernel = fused;
                gru.ZeroGrad();
                x.Grad = null;
                var (y, h) = gru.Forward(x, null, lengths);
                ((y * up).Sum() + h.Square().Sum()).Backward();
                return (y, h, [x.Grad!, .. gru.Parameters().Select(p => p.Grad!)]);
            }

            var (fast, slow) = (Run(true), Run(false));
            using (GradMode.NoGrad())
            {
                gru.UseFusedKernel = true;
                AssertClose(slow.Y, gru.Forward(x, null, lengths).Output, 1e-5);
            }

            AssertClose(slow.Y, fast.Y, 1e-5);
            AssertClose(slow.H, fast.H, 1e-5);
            for (int i = 0; i < fast.Grads.Length; i++)
            {
                AssertClose(slow.Grads[i], fast.Grads[i], 1e-4);
            }
        }
        finally
        {
            Threads.Count = saved;
        }
    }
}
