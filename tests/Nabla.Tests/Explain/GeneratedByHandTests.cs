using System.Globalization;
using System.Text.RegularExpressions;
using Nabla.Explain;
using Nabla.Explain.Generators;
using Nabla.Formats;

namespace Nabla.Tests.Explain;

/// <summary>
/// Three generated problems per topic (seeds 1, 2, 3), checked by hand: each test reads the numbers the generator
/// drew from the generated exercise file and recomputes every asked value with a closed form written here (not the
/// solver), then compares it with the answer key the engine wrote.
/// </summary>
public class GeneratedByHandTests
{
    private sealed record Case(Exercise Ex, YamlMapping Yaml, Dictionary<string, double[]> Key);

    private static Case Make(string topic, int seed)
    {
        var g = ExerciseGenerator.Generate(ExerciseGenerator.Find(topic), seed);
        var key = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (var (k, v) in ((YamlMapping)((YamlMapping)YamlParser.Parse(g.KeyYaml))["claims"]!).Entries)
        {
            key[k.Value] = Flat(v).ToArray();
        }

        Assert.Equal(g.Asks.Order(StringComparer.Ordinal), key.Keys.Order(StringComparer.Ordinal));
        return new Case(Exercise.Parse(g.ExerciseYaml), (YamlMapping)YamlParser.Parse(g.ExerciseYaml), key);
    }

    private static IEnumerable<double> Flat(YamlNode n) => n is YamlSequence s
        ? s.Items.SelectMany(Flat)
        : [double.Parse(((YamlScalar)n).Value, CultureInfo.InvariantCulture)];

    private static double[] G(Case c, string name) => c.Ex.Given.Single(g => g.Name == name).Values;

    private static double S(Case c, string name) => G(c, name).Single();

    // The value the engine wrote for `name` equals the hand computation, to 1e-9 relative.
    private static void Same(Case c, string name, params double[] expected)
    {
        var actual = c.Key[name];
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-9 * Math.Max(1, Math.Abs(expected[i])), $"{name}[{i}]: key {actual[i]}, by hand {expected[i]}");
        }
    }

    // The layers of model `model` as (type, options) in file order.
    private static List<(string Type, Dictionary<string, int> Options)> Layers(Case c, string model, out int[] input)
    {
        var m = (YamlMapping)((YamlMapping)c.Yaml["models"]!)[model]!;
        input = [.. Flat(m["input"]!).Select(v => (int)v)];
        return [.. ((YamlSequence)m["layers"]!).Items.Select(item => item is YamlScalar s
            ? (s.Value, new Dictionary<string, int>())
            : ((YamlMapping)item).Entries.Where(e => e.Key.Value != "name").Select(e => (e.Key.Value,
                ((YamlMapping)e.Value).Entries.ToDictionary(o => o.Key.Value, o => int.Parse(((YamlScalar)o.Value).Value, CultureInfo.InvariantCulture)))).Single())];
    }

    private static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Conv_shape(int seed)
    {
        // Output side of a convolution: ⌊(H + 2P − K)/S⌋ + 1; of the 2x2 stride-2 pooling: ⌊(H' − 2)/2⌋ + 1.
        var c = Make("conv-shape", seed);
        var layers = Layers(c, "m", out var input);
        var conv = layers[0].Options;
        int Side(int h) => ((h + (2 * conv["padding"]) - conv["kernelSize"]) / conv["stride"]) + 1;
        int Pool(int h) => ((h - 2) / 2) + 1;
        int ho = Side(input[1]), wo = Side(input[2]);
        Same(c, "conv_out", conv["outChannels"], ho, wo);
        Same(c, "pool_out", conv["outChannels"], Pool(ho), Pool(wo));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Params(int seed)
    {
        // A k×k convolution has (k·k·cin + 1)·cout parameters, a dense layer (in + 1)·out (weights and biases).
        var c = Make("params", seed);
        var conv = Layers(c, "c", out _)[0].Options;
        var dense = Layers(c, "m", out _).Where(l => l.Type == "Linear").Select(l => (l.Options["inFeatures"] + 1) * l.Options["outFeatures"]).ToArray();
        Same(c, "conv_params", ((conv["kernelSize"] * conv["kernelSize"] * conv["inChannels"]) + 1) * conv["outChannels"]);
        Same(c, "dense_per_layer", [.. dense.Select(d => (double)d)]);
        Same(c, "dense_total", dense.Sum());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Receptive_field(int seed)
    {
        // r₀ = 1, j₀ = 1; each layer: r ← r + (k − 1)·j, j ← j·s (j: the input distance between adjacent outputs).
        var c = Make("receptive-field", seed);
        var rf = new List<double>();
        int r = 1, j = 1;
        foreach (var (_, o) in Layers(c, "m", out _))
        {
            r += (o["kernelSize"] - 1) * j;
            j *= o["stride"];
            rf.Add(r);
        }

        Same(c, "rf_per_layer", [.. rf]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Conv_forward(int seed)
    {
        // out[i, j] = Σ_a Σ_b K[a, b]·I[i + a − P, j + b − P] (zero outside I); pooled = max over 2x2 blocks, stride 2.
        var c = Make("conv-forward", seed);
        var image = G(c, "image");
        var k = G(c, "kernel");
        int n = (int)Math.Sqrt(image.Length), p = int.Parse(Regex.Match(c.Ex.Equations[0].Text, @"padding=(\d)").Groups[1].Value, CultureInfo.InvariantCulture);
        int m = n + (2 * p) - 2;
        double Px(int i, int j) => i < 0 || j < 0 || i >= n || j >= n ? 0 : image[(i * n) + j];
        var output = new double[m * m];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < m; j++)
            {
                for (int a = 0; a < 3; a++)
                {
                    for (int b = 0; b < 3; b++)
                    {
                        output[(i * m) + j] += k[(a * 3) + b] * Px(i + a - p, j + b - p);
                    }
                }
            }
        }

        int q = m / 2;
        var pooled = new double[q * q];
        for (int i = 0; i < q; i++)
        {
            for (int j = 0; j < q; j++)
            {
                pooled[(i * q) + j] = new[] { output[(2 * i * m) + (2 * j)], output[(2 * i * m) + (2 * j) + 1], output[(((2 * i) + 1) * m) + (2 * j)], output[(((2 * i) + 1) * m) + (2 * j) + 1] }.Max();
            }
        }

        Same(c, "output", output);
        Same(c, "pooled", pooled);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Conv_backprop(int seed)
    {
        // Y[o, t] = Σ_i Σ_k W[o, i, k]·X[i, t + k]; L = Σ G·Y, so dL/dW[o, i, k] = Σ_t G[o, t]·X[i, t + k] and
        // dL/dX[i, u] = Σ_o Σ_k G[o, u − k]·W[o, i, k] (over the t = u − k that exist).
        var c = Make("conv-backprop", seed);
        var xg = c.Ex.Given.Single(g => g.Name == "X");
        var wg = c.Ex.Given.Single(g => g.Name == "W");
        var gr = G(c, "G");
        int cin = xg.Shape[0], len = xg.Shape[1], k = wg.Shape[2], lout = len - k + 1;
        double X(int i, int t) => xg.Values[(i * len) + t];
        double W(int o, int i, int kk) => wg.Values[(((o * cin) + i) * k) + kk];
        var y = new double[2 * lout];
        var dw = new double[2 * cin * k];
        var dx = new double[cin * len];
        for (int o = 0; o < 2; o++)
        {
            for (int t = 0; t < lout; t++)
            {
                for (int i = 0; i < cin; i++)
                {
                    for (int kk = 0; kk < k; kk++)
                    {
                        y[(o * lout) + t] += W(o, i, kk) * X(i, t + kk);
                        dw[(((o * cin) + i) * k) + kk] += gr[(o * lout) + t] * X(i, t + kk);
                        dx[(i * len) + t + kk] += gr[(o * lout) + t] * W(o, i, kk);
                    }
                }
            }
        }

        Same(c, "Y", y);
        Same(c, "dL/dW", dw);
        Same(c, "dL/dX", dx);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Batchnorm(int seed)
    {
        // μ = Σx/m, σ² = Σ(x − μ)²/m (biased), x̂ = (x − μ)/σ, y = γ·x̂ + β.
        var c = Make("batchnorm", seed);
        var x = G(c, "x");
        double mu = x.Sum() / x.Length, var = x.Sum(v => (v - mu) * (v - mu)) / x.Length;
        var xhat = x.Select(v => (v - mu) / Math.Sqrt(var)).ToArray();
        Same(c, "mu", mu);
        Same(c, "var", var);
        Same(c, "xhat", xhat);
        Same(c, "y", [.. xhat.Select(v => (S(c, "gamma") * v) + S(c, "beta"))]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Softmax_cross_entropy(int seed)
    {
        // pᵢ = exp(zᵢ)/Σⱼ exp(zⱼ); L = −log p_c for the target class c; dL/dz = p − y (y one-hot).
        var c = Make("softmax-ce", seed);
        var z = G(c, "z");
        var y = G(c, "y");
        double sum = z.Sum(Math.Exp);
        var p = z.Select(v => Math.Exp(v) / sum).ToArray();
        Same(c, "p", p);
        Same(c, "L", -Math.Log(p[Array.IndexOf(y, 1.0)]));
        Same(c, "dL/dz", [.. p.Zip(y, (a, b) => a - b)]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Bce(int seed)
    {
        // z = w·x + b, ŷ = σ(z), L = −(y log ŷ + (1 − y) log(1 − ŷ)); dL/dz = ŷ − y, so dL/dw = (ŷ − y)·x, dL/db = ŷ − y.
        var c = Make("bce", seed);
        var x = G(c, "x");
        var w = G(c, "w");
        double y = S(c, "y"), z = (w[0] * x[0]) + (w[1] * x[1]) + S(c, "b"), yhat = Sigmoid(z);
        Same(c, "z", z);
        Same(c, "yhat", yhat);
        Same(c, "L", -((y * Math.Log(yhat)) + ((1 - y) * Math.Log(1 - yhat))));
        Same(c, "dL/dw", (yhat - y) * x[0], (yhat - y) * x[1]);
        Same(c, "dL/db", yhat - y);
    }

    private static double[] RowTimes(double[] x, double[] m, int cols) =>
        [.. Enumerable.Range(0, cols).Select(j => Enumerable.Range(0, x.Length).Sum(i => x[i] * m[(i * cols) + j]))];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Mlp_forward(int seed)
    {
        // z1 = x·W1, a1 = max(z1, 0), z2 = a1·W2, p = softmax(z2) (row vector times matrix: Σᵢ xᵢ·W[i, j]).
        var c = Make("mlp-forward", seed);
        var w1 = c.Ex.Given.Single(g => g.Name == "W1");
        var w2 = c.Ex.Given.Single(g => g.Name == "W2");
        var z1 = RowTimes(G(c, "x"), w1.Values, w1.Shape[1]);
        var a1 = z1.Select(v => Math.Max(v, 0)).ToArray();
        var z2 = RowTimes(a1, w2.Values, w2.Shape[1]);
        double sum = z2.Sum(Math.Exp);
        Same(c, "z1", z1);
        Same(c, "a1", a1);
        Same(c, "z2", z2);
        Same(c, "p", [.. z2.Select(v => Math.Exp(v) / sum)]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Mlp_backprop(int seed)
    {
        // Forward: s1ⱼ = Σᵢ W1[i, j]·x0ᵢ, x1 = [1, tanh s1], s2 = W2·x1, x2 = [1, tanh s2], s3 = W3·x2, e = (s3 − y)².
        // Backward: δ3 = 2(s3 − y), de/dW3 = δ3·x2; δ2 = δ3·W3[1]·(1 − tanh² s2), de/dW2 = δ2·x1;
        // δ1ⱼ = δ2·W2[j + 1]·(1 − tanh² s1ⱼ), de/dW1[i, j] = x0ᵢ·δ1ⱼ.
        var c = Make("mlp-backprop", seed);
        var x0 = G(c, "x0");
        var w1 = G(c, "W1");
        var w2 = G(c, "W2");
        var w3 = G(c, "W3");
        double[] s1 = [(w1[0] * x0[0]) + (w1[2] * x0[1]), (w1[1] * x0[0]) + (w1[3] * x0[1])];
        double[] x1 = [1, Math.Tanh(s1[0]), Math.Tanh(s1[1])];
        double s2 = (w2[0] * x1[0]) + (w2[1] * x1[1]) + (w2[2] * x1[2]);
        double[] x2 = [1, Math.Tanh(s2)];
        double s3 = (w3[0] * x2[0]) + (w3[1] * x2[1]), d3 = 2 * (s3 - S(c, "y"));
        double d2 = d3 * w3[1] * (1 - (x2[1] * x2[1]));
        double[] d1 = [d2 * w2[1] * (1 - (x1[1] * x1[1])), d2 * w2[2] * (1 - (x1[2] * x1[2]))];
        Same(c, "s1", s1);
        Same(c, "s2", s2);
        Same(c, "s3", s3);
        Same(c, "e", (s3 - S(c, "y")) * (s3 - S(c, "y")));
        Same(c, "de/dW3", d3 * x2[0], d3 * x2[1]);
        Same(c, "de/dW2", d2 * x1[0], d2 * x1[1], d2 * x1[2]);
        Same(c, "de/dW1", x0[0] * d1[0], x0[0] * d1[1], x0[1] * d1[0], x0[1] * d1[1]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Bptt(int seed)
    {
        // h_t = w1·h_{t−1} + w2·x_{t−1}, ŷ_t = w3·h_t, L = (1/4)Σ(y_t − ŷ_t)². Backward in time: dL/dŷ_t = (ŷ_t − y_t)/2,
        // a_t = dL/dh_t = w3·dL/dŷ_t + w1·a_{t+1}; dL/dw1 = Σ a_t·h_{t−1}, dL/dw2 = Σ a_t·x_{t−1}, dL/dw3 = Σ dL/dŷ_t·h_t.
        var c = Make("bptt", seed);
        var x = G(c, "x");
        var y = G(c, "y");
        double w1 = S(c, "w1"), w2 = S(c, "w2"), w3 = S(c, "w3");
        var h = new double[5];
        for (int t = 1; t <= 4; t++)
        {
            h[t] = (w1 * h[t - 1]) + (w2 * x[t - 1]);
        }

        double loss = Enumerable.Range(1, 4).Sum(t => Math.Pow(y[t - 1] - (w3 * h[t]), 2)) / 4;
        double g1 = 0, g2 = 0, g3 = 0, next = 0;
        for (int t = 4; t >= 1; t--)
        {
            double dy = ((w3 * h[t]) - y[t - 1]) / 2;
            double a = (w3 * dy) + (w1 * next);
            g1 += a * h[t - 1];
            g2 += a * x[t - 1];
            g3 += dy * h[t];
            next = a;
        }

        Same(c, "h", h);
        Same(c, "L", loss);
        Same(c, "dL/dw1", g1);
        Same(c, "dL/dw2", g2);
        Same(c, "dL/dw3", g3);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Rnn_step(int seed)
    {
        // s_t = σ(U_{t−1}·x_{t−1} + W_{t−1}·s_{t−1}) with s_0 = 0, ŷ_t = max(0, V_{t−1}·s_t).
        var c = Make("rnn-step", seed);
        var (x, u, w, v) = (G(c, "x"), G(c, "U"), G(c, "W"), G(c, "V"));
        var s = new double[4];
        var yhat = new double[3];
        for (int t = 1; t <= 3; t++)
        {
            s[t] = Sigmoid((u[t - 1] * x[t - 1]) + (w[t - 1] * s[t - 1]));
            yhat[t - 1] = Math.Max(0, v[t - 1] * s[t]);
        }

        Same(c, "s", s);
        Same(c, "yhat", yhat);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Lstm_step(int seed)
    {
        // Gates o, i, f = σ(W·h_{t−1} + U·x_{t−1}), candidate g = tanh(W·h_{t−1} + U·x_{t−1});
        // c_t = f·c_{t−1} + i·g, h_t = o·tanh(c_t), ŷ_t = max(0, V·h_t), each with its step's weights.
        var c = Make("lstm-step", seed);
        double[] x = G(c, "x"), wo = G(c, "W_o"), uo = G(c, "U_o"), wi = G(c, "W_i"), ui = G(c, "U_i");
        double[] wf = G(c, "W_f"), uf = G(c, "U_f"), wg = G(c, "W"), ug = G(c, "U"), v = G(c, "V");
        var h = new double[4];
        var cell = new double[4];
        var yhat = new double[3];
        for (int t = 1; t <= 3; t++)
        {
            int k = t - 1;
            double o = Sigmoid((wo[k] * h[k]) + (uo[k] * x[k])), i = Sigmoid((wi[k] * h[k]) + (ui[k] * x[k]));
            double f = Sigmoid((wf[k] * h[k]) + (uf[k] * x[k])), g = Math.Tanh((wg[k] * h[k]) + (ug[k] * x[k]));
            cell[t] = (f * cell[k]) + (i * g);
            h[t] = o * Math.Tanh(cell[t]);
            yhat[k] = Math.Max(0, v[k] * h[t]);
        }

        Same(c, "c", cell);
        Same(c, "h", h);
        Same(c, "yhat", yhat);
    }

    // L(w, b) = (1/n)Σ(w·xᵢ + b − yᵢ)²; ∂L/∂w = (2/n)Σ(w·xᵢ + b − yᵢ)·xᵢ, ∂L/∂b = (2/n)Σ(w·xᵢ + b − yᵢ).
    private static (double L, double Gw, double Gb) Linear(double[] x, double[] y, double w, double b)
    {
        var r = x.Zip(y, (xi, yi) => (w * xi) + b - yi).ToArray();
        return (r.Sum(v => v * v) / r.Length, 2 * r.Zip(x, (ri, xi) => ri * xi).Sum() / r.Length, 2 * r.Sum() / r.Length);
    }

    private static void Optimizer(string topic, int seed, Func<double[], double[], OptimizerSpec, (double W, double B)> steps)
    {
        var c = Make(topic, seed);
        var (x, y) = (G(c, "x"), G(c, "y"));
        var (l, gw, gb) = Linear(x, y, S(c, "w"), S(c, "b"));
        var (w, b) = steps(x, y, c.Ex.Optimizer!);
        Same(c, "L", l);
        Same(c, "dL/dw", gw);
        Same(c, "dL/db", gb);
        Same(c, "w'", w);
        Same(c, "b'", b);
        Same(c, "L'", Linear(x, y, w, b).L);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Sgd(int seed) => Optimizer("sgd", seed, (x, y, o) =>
    {
        // θ' = θ − lr·∂L/∂θ.
        var c = Make("sgd", seed);
        var (_, gw, gb) = Linear(x, y, S(c, "w"), S(c, "b"));
        return (S(c, "w") - (o.Lr * gw), S(c, "b") - (o.Lr * gb));
    });

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Momentum(int seed) => Optimizer("momentum", seed, (x, y, o) =>
    {
        // PyTorch's SGD with momentum μ: v₁ = g₁; v_t = μ·v_{t−1} + g_t; θ_t = θ_{t−1} − lr·v_t (two steps).
        var c = Make("momentum", seed);
        double w = S(c, "w"), b = S(c, "b"), vw = 0, vb = 0, mu = o.Options["momentum"];
        for (int t = 1; t <= 2; t++)
        {
            var (_, gw, gb) = Linear(x, y, w, b);
            (vw, vb) = t == 1 ? (gw, gb) : ((mu * vw) + gw, (mu * vb) + gb);
            (w, b) = (w - (o.Lr * vw), b - (o.Lr * vb));
        }

        return (w, b);
    });

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Adam(int seed) => Optimizer("adam", seed, (x, y, o) =>
    {
        // m_t = β1·m + (1 − β1)·g, v_t = β2·v + (1 − β2)·g², m̂ = m_t/(1 − β1^t), v̂ = v_t/(1 − β2^t),
        // θ_t = θ_{t−1} − lr·m̂/(√v̂ + ε) (two steps).
        var c = Make("adam", seed);
        double b1 = o.Options["beta1"], b2 = o.Options["beta2"], eps = o.Options["eps"];
        double[] p = [S(c, "w"), S(c, "b")], m = new double[2], v = new double[2];
        for (int t = 1; t <= 2; t++)
        {
            var (_, gw, gb) = Linear(x, y, p[0], p[1]);
            double[] g = [gw, gb];
            for (int i = 0; i < 2; i++)
            {
                m[i] = (b1 * m[i]) + ((1 - b1) * g[i]);
                v[i] = (b2 * v[i]) + ((1 - b2) * g[i] * g[i]);
                p[i] -= o.Lr * (m[i] / (1 - Math.Pow(b1, t))) / (Math.Sqrt(v[i] / (1 - Math.Pow(b2, t))) + eps);
            }
        }

        return (p[0], p[1]);
    });

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Hessian(int seed)
    {
        // f = x⁴ − c1·x² + y⁴ − c2·y²: ∇f = (4x³ − 2c1·x, 4y³ − 2c2·y), H = diag(12x² − 2c1, 12y² − 2c2), whose
        // eigenvalues are its diagonal (ascending) and det H their product.
        var c = Make("hessian", seed);
        var m = Regex.Match(c.Ex.Equations[0].Text, @"x\^4 - (\d+)\*x\^2 \+ y\^4 - (\d+)\*y\^2");
        Assert.True(m.Success);
        double c1 = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), c2 = double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        for (int k = 0; k < 3; k++)
        {
            double x = c.Ex.Hessian!.Points[k][0], y = c.Ex.Hessian.Points[k][1];
            double hx = (12 * x * x) - (2 * c1), hy = (12 * y * y) - (2 * c2);
            Same(c, $"f.value[{k}]", Math.Pow(x, 4) - (c1 * x * x) + Math.Pow(y, 4) - (c2 * y * y));
            Same(c, $"f.gradient[{k}]", (4 * x * x * x) - (2 * c1 * x), (4 * y * y * y) - (2 * c2 * y));
            Same(c, $"f.hessian[{k}]", hx, 0, 0, hy);
            Same(c, $"f.eigenvalues[{k}]", Math.Min(hx, hy), Math.Max(hx, hy));
            Same(c, $"f.det[{k}]", hx * hy);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Perceptron(int seed)
    {
        // The rule: y = 1 when w·x ≥ θ; after each pattern w ← w + η(t − y)·x (and θ ← θ − η(t − y) when learned),
        // epochs until one has no error; the problem is separable, so it must end within the 100 epochs.
        var c = Make("perceptron", seed);
        var p = c.Ex.Perceptron!;
        var w = (double[])p.W0.Clone();
        double theta = p.Theta;
        var errors = new List<double>();
        do
        {
            int e = 0;
            for (int i = 0; i < 4; i++)
            {
                double err = p.Targets[i] - ((w[0] * p.Inputs[i][0]) + (w[1] * p.Inputs[i][1]) >= theta ? 1 : 0);
                if (err != 0)
                {
                    e++;
                    w[0] += p.Lr * err * p.Inputs[i][0];
                    w[1] += p.Lr * err * p.Inputs[i][1];
                    theta -= p.LearnTheta ? p.Lr * err : 0;
                }
            }

            errors.Add(e);
        }
        while (errors[^1] != 0 && errors.Count < 100);
        Assert.Equal(0, errors[^1]);
        Same(c, "perceptron.errors", [.. errors]);
        Same(c, "perceptron.w", w);
    }
}
