using Nabla.NN;

namespace Nabla.Tests.Attention;

/// <summary>The sinusoidal positional encoding against its closed form, and the learned positional embedding.</summary>
public sealed class PositionalEncodingTests
{
    [Fact]
    public void Sinusoidal_code_is_the_papers_formula()
    {
        // PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(pos / 10000^(2i/d)); d = 5 (odd: the last column is a sine).
        var pe = new PositionalEncoding(5, dropout: 0, maxLen: 7, dtype: DType.Float64);
        Assert.Equal(new Shape(7, 1, 5), pe.Pe.Shape);
        Assert.Equal(["pe"], pe.NamedBuffers().Select(b => b.Name));
        Assert.Empty(pe.Parameters());
        var v = pe.Pe.ToDoubleArray();
        Expect.Close(Math.Sin(3 / Math.Pow(10000, 2.0 / 5)), v[(3 * 5) + 2], 1e-15, 0);
        Expect.Close(Math.Cos(3 / Math.Pow(10000, 2.0 / 5)), v[(3 * 5) + 3], 1e-15, 0);
        Expect.Close(Math.Sin(6 / Math.Pow(10000, 4.0 / 5)), v[(6 * 5) + 4], 1e-15, 0);
        Assert.Equal([0.0, 1.0, 0.0, 1.0, 0.0], v.Take(5)); // position 0: sin 0, cos 0
        Expect.Close(Math.Sin(1), v[5], 1e-15, 0); // position 1, column 0: frequency 1
    }

    [Fact]
    public void Sinusoidal_code_is_added_in_every_layout()
    {
        var g = new Generator(1);
        var seqFirst = new PositionalEncoding(4, dropout: 0, maxLen: 10, dtype: DType.Float64);
        var batchFirst = new PositionalEncoding(4, dropout: 0, maxLen: 10, batchFirst: true, dtype: DType.Float64);
        var x = Tensor.Randn(new Shape(6, 2, 4), g, DType.Float64); // (L, N, E)
        var code = seqFirst.Pe.Narrow(0, 0, 6); // (6, 1, 4)
        Expect.AllClose((x + code).ToDoubleArray(), seqFirst.Forward(x), 1e-15, 0);
        Expect.AllClose((x + code).Transpose(0, 1).ToDoubleArray(), batchFirst.Forward(x.Transpose(0, 1)), 1e-15, 0);
        Expect.AllClose((x.Select(1, 0) + code.Squeeze(1)).ToDoubleArray(), seqFirst.Forward(x.Select(1, 0)), 1e-15, 0);
        Assert.Contains("exceeds max_len 10", Assert.Throws<ArgumentException>(() => seqFirst.Forward(Tensor.Zeros(new Shape(11, 1, 4), DType.Float64))).Message);
        Assert.Throws<ArgumentException>(() => seqFirst.Forward(Tensor.Zeros(new Shape(3, 1, 5), DType.Float64)));
    }

    [Fact]
    public void Sinusoidal_dropout_in_training_only()
    {
        var pe = new PositionalEncoding(4, generator: new Generator(2), dtype: DType.Float64); // dropout 0.1, the tutorial's default
        Assert.Equal(0.1, ((Dropout)pe.NamedChildren().Single().Module).P);
        var x = Tensor.Ones(new Shape(50, 4, 4), DType.Float64);
        var train = pe.Forward(x).ToDoubleArray();
        Assert.Contains(0.0, train);
        pe.Eval();
        Expect.AllClose((x + pe.Pe.Narrow(0, 0, 50)).ToDoubleArray(), pe.Forward(x), 1e-15, 0);
    }

    [Fact]
    public void Learned_embedding_adds_rows_and_trains_them()
    {
        var g = new Generator(3);
        var emb = new LearnedPositionalEmbedding(8, 3, batchFirst: true, generator: g, dtype: DType.Float64);
        Assert.Equal(["weight"], emb.NamedParameters().Select(p => p.Name));
        Assert.Equal(new Shape(8, 3), emb.Weight.Shape);
        var x = Tensor.Randn(new Shape(2, 5, 3), g, DType.Float64);
        var y = emb.Forward(x);
        Expect.AllClose((x + emb.Weight.Narrow(0, 0, 5).Unsqueeze(0)).ToDoubleArray(), y, 1e-15, 0);

        // d sum(y·u) / dW[p] = Σ_n u[n, p] for p < L, and 0 for the rows beyond the sequence.
        var u = Tensor.Randn(new Shape(2, 5, 3), g, DType.Float64);
        (y * u).Sum().Backward();
        var grad = emb.Weight.Grad!.ToDoubleArray();
        var expected = u.Sum(0).ToDoubleArray().Concat(new double[9]).ToArray();
        Expect.AllClose(expected, emb.Weight.Grad!, 1e-12, 0);
        Assert.Equal(24, grad.Length);
    }
}
