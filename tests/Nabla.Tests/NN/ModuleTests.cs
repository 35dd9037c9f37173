using Nabla.NN;

namespace Nabla.Tests.NN;

public class ModuleTests
{
    private static Sequential Mlp() => new(new Linear(4, 3, generator: new Generator(1)), new ReLU(), new Linear(3, 2, generator: new Generator(2)));

    [Fact]
    public void Named_parameters_use_pytorch_dotted_names()
    {
        var names = Mlp().NamedParameters().Select(p => p.Name).ToArray();
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias"], names);
    }

    [Fact]
    public void State_dict_round_trips_into_a_fresh_model()
    {
        var a = Mlp();
        var b = new Sequential(new Linear(4, 3, generator: new Generator(7)), new ReLU(), new Linear(3, 2, generator: new Generator(8)));
        var x = Tensor.Randn(new Shape(5, 4), new Generator(3));
        Assert.NotEqual(a.Forward(x).ToDoubleArray(), b.Forward(x).ToDoubleArray());
        b.LoadStateDict(a.StateDict());
        Assert.Equal(a.Forward(x).ToDoubleArray(), b.Forward(x).ToDoubleArray());
    }

    [Fact]
    public void To_float64_keeps_the_parameter_objects_and_their_values()
    {
        // PyTorch's model.double(): the Float32 values widen exactly, the layers keep working on the same tensors,
        // and the output equals the Float32 model's up to float32 rounding of the intermediate results.
        var m = new Sequential(new Linear(4, 3, generator: new Generator(1)), new BatchNorm1d(3), new ReLU());
        var weight = ((Linear)m[0]).Weight;
        var before = weight.ToDoubleArray();
        var x = Tensor.Randn(new Shape(5, 4), new Generator(3));
        var y32 = m.Forward(x).ToDoubleArray();
        Assert.Same(m, m.To(DType.Float64));
        Assert.Same(weight, m.StateDict()["0.weight"]);
        Assert.Equal(DType.Float64, weight.DType);
        Assert.True(weight.RequiresGrad);
        Assert.Equal(before, weight.ToDoubleArray());
        Assert.Equal(DType.Float64, m.StateDict()["1.running_var"].DType);
        Assert.Equal(DType.Int64, m.StateDict()["1.num_batches_tracked"].DType);
        var y64 = m.Forward(x.To(DType.Float64));
        Assert.Equal(DType.Float64, y64.DType);
        var v64 = y64.ToDoubleArray();
        for (int i = 0; i < v64.Length; i++)
        {
            Assert.Equal(y32[i], v64[i], 1e-5);
        }

        Assert.Throws<ArgumentException>(() => m.To(DType.Int64));
    }

    [Fact]
    public void Load_state_dict_reports_missing_unexpected_and_shape_errors()
    {
        var m = Mlp();
        var state = m.StateDict();
        state.Remove("2.bias");
        state["extra"] = Tensor.Zeros(new Shape(1));
        var e = Assert.Throws<ArgumentException>(() => m.LoadStateDict(state));
        Assert.Contains("2.bias", e.Message);
        Assert.Contains("extra", e.Message);
        var (missing, unexpected) = m.LoadStateDict(state, strict: false);
        Assert.Equal(["2.bias"], missing);
        Assert.Equal(["extra"], unexpected);

        var wrong = Mlp().StateDict();
        wrong["0.weight"] = Tensor.Zeros(new Shape(3, 5));
        var s = Assert.Throws<ArgumentException>(() => m.LoadStateDict(wrong));
        Assert.Contains("[3, 5]", s.Message);
        Assert.Contains("[3, 4]", s.Message);
    }

    [Fact]
    public void Freezing_by_pattern_stops_gradients()
    {
        var m = Mlp();
        m.RequiresGrad(false, "0.*");
        var loss = m.Forward(Tensor.Randn(new Shape(2, 4), new Generator(0))).Sum();
        loss.Backward();
        var grads = m.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Grad);
        Assert.Null(grads["0.weight"]);
        Assert.Null(grads["0.bias"]);
        Assert.NotNull(grads["2.weight"]);
    }

    [Fact]
    public void Sequential_shape_error_names_the_layer_and_both_shapes()
    {
        var m = Mlp();
        var e = Assert.Throws<ArgumentException>(() => m.Forward(Tensor.Zeros(new Shape(2, 5))));
        Assert.Contains("layer 0 (Linear)", e.Message);
        Assert.Contains("(*, 4)", e.Message);
        Assert.Contains("[2, 5]", e.Message);
        var s = Assert.Throws<ArgumentException>(() => m.OutputShape(new Shape(2, 5)));
        Assert.Contains("layer 0 (Linear)", s.Message);
        Assert.Equal(new Shape(7, 2), m.OutputShape(new Shape(7, 4)));
    }

    [Fact]
    public void Dropout_scales_in_training_and_is_identity_in_eval()
    {
        var d = new Dropout(0.25, new Generator(0));
        var x = Tensor.Ones(new Shape(10000));
        var y = d.Forward(x).ToDoubleArray();
        Assert.All(y, v => Assert.True(v == 0 || Math.Abs(v - (1 / 0.75)) < 1e-6));
        Assert.InRange(y.Count(v => v == 0) / 10000.0, 0.22, 0.28);
        d.Eval();
        Assert.Equal(x.ToDoubleArray(), d.Forward(x).ToDoubleArray());
    }

    [Fact]
    public void Default_init_bounds_match_pytorch()
    {
        // Kaiming-uniform with a = √5 gives U(−1/√fan_in, 1/√fan_in) for the weight; the bias uses the same bound.
        var l = new Linear(100, 50, generator: new Generator(0));
        double bound = 1 / Math.Sqrt(100);
        Assert.All(l.Weight.ToDoubleArray(), v => Assert.InRange(v, -bound, bound));
        Assert.All(l.Bias!.ToDoubleArray(), v => Assert.InRange(v, -bound, bound));
        Assert.True(l.Weight.ToDoubleArray().Max() > 0.9 * bound);
    }

    [Fact]
    public void Repr_is_pytorch_like()
    {
        Assert.Equal("Sequential(\n  (0): Linear(inFeatures=4, outFeatures=3, bias=True)\n  (1): ReLU()\n  (2): Linear(inFeatures=3, outFeatures=2, bias=True)\n)", Mlp().ToString());
    }

    [Fact]
    public void Gradcheck_of_linear_and_losses_in_float64()
    {
        var g = new Generator(5);
        var lin = new Linear(3, 2, generator: g, dtype: DType.Float64);
        var x = Tensor.Randn(new Shape(4, 3), g, DType.Float64).RequireGrad();
        var target = Tensor.FromArray([0L, 1, 1, 0]);
        var r = GradCheck.Check(t => new CrossEntropyLoss(labelSmoothing: 0.1).Forward(F.Linear(t[0], t[1], t[2]), target),
            [x, lin.Weight, lin.Bias!]);
        Assert.True(r.Passed, r.Message);
        var r2 = GradCheck.CheckSecondOrder(t => F.BinaryCrossEntropyWithLogits(t[0], t[1].Sigmoid()),
            [x, Tensor.Randn(new Shape(4, 3), g, DType.Float64).RequireGrad()]);
        Assert.True(r2.Passed, r2.Message);
    }
}
