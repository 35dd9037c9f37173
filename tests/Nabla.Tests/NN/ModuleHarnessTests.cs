using Nabla.NN;

namespace Nabla.Tests.NN;

/// <summary>
/// One harness over a tiny Float64 instance of every layer module: the output shape equals
/// <see cref="Module.OutputShape"/>, the parameter count is the documented one, Train/Eval changes the output only
/// for batch norm, dropout and the blocks that contain them, a state dict round-trips into a fresh instance, and
/// gradcheck passes for the input and (per element, by central differences of sum(out · g)) for every parameter.
/// </summary>
public sealed partial class ModuleHarnessTests
{
    /// <summary>A module under test: its factory (Float64), an input, the parameter count, and whether Train/Eval matter.</summary>
    private sealed record Spec(Func<Module> Make, Func<Tensor> Input, long ParamCount, bool TrainEvalDiffer = false, Generator? Dropout = null);

    private const DType D = DType.Float64;

    private static Tensor X(params int[] shape) => Tensor.Randn(new Shape(shape), new Generator(shape.Sum() + 17), D);

    private static readonly Generator DropGen = new(3);

    private static readonly Dictionary<string, Spec> Specs = new()
    {
        ["Linear"] = new(() => new Linear(3, 2, dtype: D), () => X(2, 3), 8),
        ["Conv1d_s2_p1"] = new(() => new Conv1d(2, 3, 3, 2, 1, dtype: D), () => X(2, 2, 5), 21),
        ["Conv1d_same_k4"] = new(() => new Conv1d(2, 2, 4, "same", dtype: D), () => X(1, 2, 5), 18),
        ["Conv2d_p1"] = new(() => new Conv2d(2, 3, 3, 1, 1, dtype: D), () => X(1, 2, 4, 3), 57),
        ["Conv2d_groups2_dil2"] = new(() => new Conv2d(4, 4, 3, 1, 2, 2, 2, dtype: D), () => X(1, 4, 4, 4), 76),
        ["Conv2d_same_k2_nobias"] = new(() => new Conv2d(2, 2, 2, "same", bias: false, dtype: D), () => X(1, 2, 3, 4), 16),
        ["ConvTranspose2d_s2_p1_op1"] = new(() => new ConvTranspose2d(2, 2, 3, 2, 1, 1, dtype: D), () => X(1, 2, 2, 3), 38),
        ["ConvTranspose2d_groups2_dil2"] = new(() => new ConvTranspose2d(4, 2, 3, 2, 0, 0, 2, dilation: 2, dtype: D), () => X(1, 4, 2, 2), 38),
        ["MaxPool1d"] = new(() => new MaxPool1d(3, 2, 1), () => X(2, 2, 7), 0),
        ["MaxPool2d_ceil_dil2"] = new(() => new MaxPool2d(3, 2, 1, 2, ceilMode: true), () => X(1, 2, 6, 5), 0),
        ["AvgPool1d"] = new(() => new AvgPool1d(3, 2, 1, ceilMode: true, countIncludePad: false), () => X(2, 2, 6), 0),
        ["AvgPool2d"] = new(() => new AvgPool2d(3, 2, 1, ceilMode: true, countIncludePad: false), () => X(1, 2, 6, 5), 0),
        ["AvgPool2d_divisor"] = new(() => new AvgPool2d(2, 1, 1, divisorOverride: 3), () => X(1, 2, 3, 4), 0),
        ["AdaptiveAvgPool1d"] = new(() => new AdaptiveAvgPool1d(3), () => X(2, 2, 7), 0),
        ["AdaptiveAvgPool2d"] = new(() => new AdaptiveAvgPool2d((3, 2)), () => X(1, 2, 7, 5), 0),
        ["AdaptiveMaxPool2d"] = new(() => new AdaptiveMaxPool2d((3, 2)), () => X(1, 2, 7, 5), 0),
        ["Upsample_nearest"] = new(() => new Upsample(2.0), () => X(1, 2, 2, 3), 0),
        ["Upsample_bilinear_align"] = new(() => new Upsample(size: [5, 4], mode: "bilinear", alignCorners: true), () => X(1, 1, 3, 3), 0),
        ["Upsample_bilinear"] = new(() => new Upsample(1.5, "bilinear", false), () => X(1, 1, 4, 3), 0),
        ["ZeroPad2d"] = new(() => new ZeroPad2d(1, 2, 0, 1), () => X(1, 2, 2, 3), 0),
        ["Flatten"] = new(() => new Flatten(), () => X(2, 2, 3), 0),
        ["Unflatten"] = new(() => new Unflatten(1, [2, 3]), () => X(2, 6), 0),
        ["Reshape"] = new(() => new Reshape([3, -1]), () => X(2, 6), 0),
        ["Permute"] = new(() => new Permute([0, 2, 1]), () => X(2, 3, 4), 0),
        ["Dropout"] = new(() => new Dropout(0.4, DropGen), () => X(3, 4), 0, true, DropGen),
        ["Dropout2d"] = new(() => new Dropout2d(0.5, DropGen), () => X(2, 4, 2, 2), 0, true, DropGen),
        ["BatchNorm1d"] = new(() => new BatchNorm1d(3, dtype: D), () => X(4, 3), 6, true),
        ["BatchNorm1d_3d"] = new(() => new BatchNorm1d(2, momentum: 0.3, dtype: D), () => X(3, 2, 2), 4, true),
        ["BatchNorm2d"] = new(() => new BatchNorm2d(2, dtype: D), () => X(2, 2, 2, 3), 4, true),
        ["LayerNorm"] = new(() => new LayerNorm(new Shape(3, 4), dtype: D), () => X(2, 3, 4), 24),
        ["GroupNorm"] = new(() => new GroupNorm(2, 4, dtype: D), () => X(2, 4, 3), 8),
        ["Embedding"] = new(() => new Embedding(5, 3, 1, dtype: D), () => Tensor.FromArray(new long[] { 0, 1, 4, 4, 2, 1 }, new Shape(2, 3)), 15),
        ["ReLU"] = new(() => new ReLU(), () => X(3, 4), 0),
        ["LeakyReLU"] = new(() => new LeakyReLU(0.2), () => X(3, 4), 0),
        ["ELU"] = new(() => new ELU(0.7), () => X(3, 4), 0),
        ["GELU"] = new(() => new GELU(), () => X(3, 4), 0),
        ["GELU_tanh"] = new(() => new GELU("tanh"), () => X(3, 4), 0),
        ["Tanh"] = new(() => new Tanh(), () => X(3, 4), 0),
        ["Sigmoid"] = new(() => new Sigmoid(), () => X(3, 4), 0),
        ["Softmax"] = new(() => new Softmax(1), () => X(2, 3, 2), 0),
        ["LogSoftmax"] = new(() => new LogSoftmax(-1), () => X(2, 3, 2), 0),
        ["Identity"] = new(() => new Identity(), () => X(3, 4), 0),
        ["BasicBlock_identity"] = new(() => new BasicBlock(2, 2, dtype: D), () => X(2, 2, 3, 3), 80, true),
        ["BasicBlock_projection"] = new(() => new BasicBlock(2, 3, 2, dtype: D), () => X(2, 2, 4, 3), 159, true),
        ["Bottleneck_projection"] = new(() => new Bottleneck(2, 1, 2, dtype: D), () => X(2, 2, 3, 4), 43, true),
        ["InceptionV1"] = new(() => new InceptionV1(2, 1, 1, 2, 1, 2, 1, dtype: D), () => X(1, 2, 3, 4), 84),
        ["Residual"] = new(() => new Residual(new Sequential(new Conv2d(2, 2, 3, 1, 1, dtype: D), new ReLU(), new Conv2d(2, 2, 3, 1, 1, dtype: D)),
            activation: new ReLU()), () => X(1, 2, 3, 3), 76),
    };

    public static TheoryData<string> Names => [.. Specs.Keys];

    [Theory]
    [MemberData(nameof(Names))]
    public void Output_shape_matches_OutputShape(string name)
    {
        var spec = Specs[name];
        var m = spec.Make();
        var x = spec.Input();
        Assert.Equal(m.Forward(x).Shape, m.OutputShape(x.Shape));
        m.Eval();
        Assert.Equal(m.Forward(x).Shape, m.OutputShape(x.Shape));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Parameter_count_is_documented(string name)
    {
        var m = Specs[name].Make();
        Assert.Equal(Specs[name].ParamCount, m.Parameters().Sum(p => p.Numel));
        Assert.All(m.Parameters(), p => Assert.True(p.RequiresGrad && p.DType == D));
        Assert.All(m.Buffers(), b => Assert.False(b.RequiresGrad));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Train_and_eval_differ_only_where_expected(string name)
    {
        var spec = Specs[name];
        var m = spec.Make();
        Randomize(m, 1);
        var x = spec.Input();
        spec.Dropout?.ManualSeed(5);
        var train = m.Forward(x).ToDoubleArray();
        m.Eval();
        Assert.All(m.NamedModules(), s => Assert.False(s.Module.IsTraining, $"{s.Name} still training after Eval()"));
        var eval = m.Forward(x).ToDoubleArray();
        Assert.Equal(eval, m.Forward(x).ToDoubleArray()); // eval is deterministic and does not update state
        if (spec.TrainEvalDiffer)
        {
            Assert.NotEqual(train, eval);
        }
        else
        {
            Assert.Equal(train, eval);
        }

        m.Train();
        Assert.All(m.NamedModules(), s => Assert.True(s.Module.IsTraining));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void State_dict_round_trips(string name)
    {
        var spec = Specs[name];
        var a = spec.Make();
        Randomize(a, 2);
        var b = spec.Make();
        Assert.Equal(a.StateDict().Keys.Order(), b.StateDict().Keys.Order());
        var x = spec.Input();
        a.Eval();
        b.Eval();
        if (a.StateDict().Values.Any(t => t.DType.IsFloatingPoint()))
        {
            Assert.NotEqual(a.Forward(x).ToDoubleArray(), b.Forward(x).ToDoubleArray());
        }

        b.LoadStateDict(a.StateDict());
        Assert.Equal(a.Forward(x).ToDoubleArray(), b.Forward(x).ToDoubleArray());
        foreach (var (k, v) in a.StateDict())
        {
            Assert.Equal(v.ToDoubleArray(), b.StateDict()[k].ToDoubleArray());
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Gradcheck_input_and_parameters(string name)
    {
        var spec = Specs[name];
        var m = spec.Make();
        Randomize(m, 3);
        var x = spec.Input();
        Tensor Run(Tensor input)
        {
            spec.Dropout?.ManualSeed(11); // the same dropout mask on every call
            return m.Forward(input);
        }

        if (x.DType.IsFloatingPoint())
        {
            var r = GradCheck.Check(xs => Run(xs[0]), [x.RequireGrad()]);
            Assert.True(r.Passed, $"{name} input: {r.Message}");
            x = x.Detach();
        }

        // Parameters: ∂/∂p of L = sum(out · g) by central differences, element by element, against autograd.
        if (!m.Parameters().Any())
        {
            return;
        }

        var g = Tensor.Randn(Run(x).Shape, new Generator(9), D);
        double Loss() => (Run(x) * g).Sum().Item();
        m.ZeroGrad();
        (Run(x) * g).Sum().Backward();
        const double eps = 1e-6;
        foreach (var (pname, p) in m.NamedParameters())
        {
            var analytic = p.Grad?.ToDoubleArray() ?? new double[p.Numel];
            var values = p.ToDoubleArray();
            for (int j = 0; j < values.Length; j++)
            {
                double orig = values[j];
                values[j] = orig + eps;
                Set(p, values);
                double plus = Loss();
                values[j] = orig - eps;
                Set(p, values);
                double minus = Loss();
                values[j] = orig;
                Set(p, values);
                double numerical = (plus - minus) / (2 * eps);
                Assert.True(Math.Abs(analytic[j] - numerical) <= 1e-5 + (1e-3 * Math.Abs(numerical)),
                    $"{name} d/d {pname}[{j}]: autograd {analytic[j]:G10}, numerical {numerical:G10}");
            }
        }
    }

    private static void Set(Tensor p, double[] values)
    {
        using (GradMode.NoGrad())
        {
            p.CopyInPlace(Tensor.FromArray(values, p.Shape));
        }
    }

    /// <summary>Gives every float parameter and buffer seeded random values (variances stay positive).</summary>
    private static void Randomize(Module m, long seed)
    {
        var gen = new Generator(seed);
        using (GradMode.NoGrad())
        {
            foreach (var (n, t) in m.StateDict().Where(kv => kv.Value.DType.IsFloatingPoint()))
            {
                var r = n.EndsWith("running_var", StringComparison.Ordinal) ? Tensor.Rand(t.Shape, gen, D) + 0.5
                    : n.EndsWith("weight", StringComparison.Ordinal) && t.Rank == 1 ? (Tensor.Randn(t.Shape, gen, D) * 0.3) + 1
                    : Tensor.Randn(t.Shape, gen, D) * 0.5;
                t.CopyInPlace(r);
            }
        }
    }
}
