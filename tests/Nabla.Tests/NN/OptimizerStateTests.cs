using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Tests.NN;

public class OptimizerStateTests
{
    private static (Linear Model, Tensor X, Tensor Y) Problem()
    {
        var g = new Generator(4);
        return (new Linear(3, 2, generator: g, dtype: DType.Float64), Tensor.Randn(new Shape(5, 3), g, DType.Float64), Tensor.Randn(new Shape(5, 2), g, DType.Float64));
    }

    private static void Step(Module m, Optimizer o, Tensor x, Tensor y)
    {
        o.ZeroGrad();
        F.MseLoss(m.Forward(x), y).Backward();
        o.Step();
    }

    [Fact]
    public void Resuming_from_a_state_dict_continues_exactly()
    {
        // Run A: 6 uninterrupted Adam steps. Run B: 3 steps, save model and optimizer, restore into fresh ones, 3 more.
        var (a, x, y) = Problem();
        var optA = new Adam(a.Parameters(), lr: 0.05);
        for (int i = 0; i < 6; i++)
        {
            Step(a, optA, x, y);
        }

        var (b, _, _) = Problem();
        var optB = new Adam(b.Parameters(), lr: 0.05);
        for (int i = 0; i < 3; i++)
        {
            Step(b, optB, x, y);
        }

        var (weights, state) = (b.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Detach().Clone()), optB.StateDict());
        var (c, _, _) = Problem();
        c.LoadStateDict(weights);
        var optC = new Adam(c.Parameters(), lr: 0.05);
        optC.LoadStateDict(state);
        for (int i = 0; i < 3; i++)
        {
            Step(c, optC, x, y);
        }

        Assert.Equal(a.Weight.ToDoubleArray(), c.Weight.ToDoubleArray());
        Assert.Equal(a.Bias!.ToDoubleArray(), c.Bias!.ToDoubleArray());
        Assert.Equal(6, optC.State[c.Weight]["step"].Item());
    }

    [Fact]
    public void State_dict_layout_errors_are_reported()
    {
        var (m, _, _) = Problem();
        var state = new SGD(m.Parameters(), lr: 0.1, momentum: 0.9).StateDict();
        var other = new SGD([new ParamGroup([m.Weight]), new ParamGroup([m.Bias!])], lr: 0.1);
        var e = Assert.Throws<ArgumentException>(() => other.LoadStateDict(state));
        Assert.Contains("1 parameter groups", e.Message);
    }

    [Fact]
    public void L2_penalty_gradient_equals_weight_decay()
    {
        // d/dθ (λ/2)‖θ‖² = λθ: one SGD step with the penalty equals one with weightDecay = λ (zero data loss here).
        var (m, _, _) = Problem();
        var w0 = m.Weight.ToDoubleArray();
        F.L2Penalty([m.Weight], 0.1).Backward();
        Assert.Equal(w0.Select(v => 0.1 * v).ToArray(), m.Weight.Grad!.ToDoubleArray(), new Comparer());
        Assert.Null(m.Bias!.Grad);
    }

    private sealed class Comparer : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) < 1e-12;

        public int GetHashCode(double v) => 0;
    }
}
