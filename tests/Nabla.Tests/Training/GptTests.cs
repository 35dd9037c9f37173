using Nabla.Data;
using Nabla.Training;

namespace Nabla.Tests.Training;

/// <summary>
/// The character-level language model: vocabulary and corpus windows, sampling with temperature and top-k, the GPT's
/// size and causality, and that it learns a periodic text well enough to continue it.
/// </summary>
public sealed class GptTests
{
    [Fact]
    public void Vocabulary_round_trips_and_names_unknown_characters()
    {
        var v = new CharVocabulary("hello, world\n");
        Assert.Equal("\n ,dehlorw", v.Chars); // distinct, ordinal order
        Assert.Equal([5, 4, 6, 6, 7], v.Encode("hello"));
        Assert.Equal("world\n", v.Decode(v.Encode("world\n")));
        Assert.Contains("character 'x' at position 2", Assert.Throws<ArgumentException>(() => v.Encode("hex")).Message);
        Assert.Equal("ba", CharVocabulary.FromChars("ba").Decode([0, 1]));
        Assert.Throws<ArgumentException>(() => CharVocabulary.FromChars("aa"));
        Assert.Throws<ArgumentOutOfRangeException>(() => v.Decode([10]));
    }

    [Fact]
    public void Corpus_windows_are_next_character_pairs()
    {
        string text = string.Concat(Enumerable.Range(0, 100).Select(i => (char)('a' + (i % 26))));
        var c = new TextCorpus(text);
        Assert.Equal(90, c.Train.Length);
        Assert.Equal(10, c.Validation.Length);
        var (x, y) = c.Batch(false, 8, 5, new Generator(1));
        Assert.Equal(new Shape(5, 8), x.Shape);
        var (xs, ys) = (x.ToInt64Array(), y.ToInt64Array());
        for (int b = 0; b < 5; b++)
        {
            // Each row is a window of the alphabet cycle, and y is x one character later.
            for (int t = 0; t < 8; t++)
            {
                Assert.Equal((xs[(b * 8) + t] + 1) % 26, ys[(b * 8) + t]);
                Assert.Equal((xs[b * 8] + t) % 26, xs[(b * 8) + t]);
            }
        }

        Assert.Contains("validation text has 10 characters", Assert.Throws<ArgumentException>(() => c.Batch(true, 10, 1, new Generator(0))).Message);
    }

    [Fact]
    public void Sampling_follows_temperature_and_top_k()
    {
        // logits (0, ln 3): probabilities (1/4, 3/4); at temperature 1/2 the logits double: (1/10, 9/10).
        var g = new Generator(2);
        double[] logits = [0, Math.Log(3)];
        double Share(double temperature) => Enumerable.Range(0, 4000).Count(_ => Sampling.Sample(logits, temperature, null, g) == 1) / 4000.0;
        Assert.InRange(Share(1), 0.72, 0.78); // ±4.4 standard deviations of 0.0068
        Assert.InRange(Share(0.5), 0.88, 0.92);

        double[] three = [2, 1, 0];
        Assert.All(Enumerable.Range(0, 200), _ => Assert.Equal(0, Sampling.Sample(three, 5, 1, g))); // top-1 is the argmax
        Assert.DoesNotContain(2, Enumerable.Range(0, 500).Select(_ => Sampling.Sample(three, 5, 2, g)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sampling.Sample(three, 0, null, g));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sampling.Sample(three, 1, 0, g));
    }

    [Fact]
    public void Gpt_has_the_size_by_hand_and_sees_only_the_past()
    {
        // gpt-tiny with 82 characters, E = 64, F = 4E, 2 layers: wte 82·64 + wpe 64·64 + 2·(4E² + 2EF + 9E + F)
        // + ln_f 2E + lm_head 64·82 = 5,248 + 4,096 + 99,968 + 128 + 5,248.
        Assert.Equal(114_688L, Gpt.Tiny(82).Parameters().Sum(p => p.Shape.Numel));
        Assert.Equal(["wte.weight", "wpe.weight"], Gpt.Tiny(5).NamedParameters().Take(2).Select(p => p.Name));

        var g = new Generator(3);
        var m = new Gpt(5, 6, 8, 2, 1, generator: g);
        m.Eval();
        var a = Tensor.FromArray(new long[] { 0, 1, 2, 3, 4, 0 }, new Shape(1, 6));
        var b = Tensor.FromArray(new long[] { 0, 1, 2, 4, 4, 4 }, new Shape(1, 6));
        var (la, lb) = (m.Forward(a), m.Forward(b));
        Assert.Equal(new Shape(1, 6, 5), la.Shape);
        Expect.AllClose(la.Narrow(1, 0, 3).ToDoubleArray(), lb.Narrow(1, 0, 3), 1e-6, 0); // same first three tokens
        Assert.NotEqual(la.Narrow(1, 3, 1).ToDoubleArray(), lb.Narrow(1, 3, 1).ToDoubleArray());
        Assert.Throws<ArgumentException>(() => m.Forward(Tensor.Zeros(new Shape(1, 7), DType.Int64))); // longer than the context
    }

    [Fact]
    public void Gpt_learns_a_periodic_text_and_continues_it()
    {
        var corpus = new TextCorpus(string.Concat(Enumerable.Repeat("abcd", 100)));
        var g = new Generator(4);
        var m = new Gpt(4, 8, 16, 2, 1, generator: g);
        var opt = new Nabla.Optim.AdamW(m.Parameters(), lr: 1e-2);
        double loss = double.NaN;
        for (int step = 0; step < 80; step++)
        {
            var (x, y) = corpus.Batch(false, 8, 8, g);
            opt.ZeroGrad();
            var l = m.Loss(x, y);
            l.Backward();
            opt.Step();
            loss = l.Item();
        }

        Assert.True(loss < 0.1, $"loss after 80 steps {loss} (ln 4 = 1.39 at the start)");
        var v = corpus.Vocabulary;
        var generated = m.Generate(v.Encode("abcdabcdab"), 10, 1.0, 1, g); // a prompt longer than the context of 8
        Assert.Equal("cdabcdabcd", v.Decode(generated));
        Assert.True(m.IsTraining); // Generate restores the mode
    }
}
