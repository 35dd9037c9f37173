using Nabla.NN;

namespace Nabla.Tests.Engine;

/// <summary>
/// Anomaly detection names the op that first turns finite values into NaN or ±∞, forward or backward, and only that
/// op; off, ops behave as before.
/// </summary>
public class AnomalyTests
{
    [Fact]
    public void Forward_log_of_zero_is_named()
    {
        var x = Tensor.FromArray(new double[] { 1, 0, 2 }).Named("x").RequireGrad();
        using var scope = Autograd.DetectAnomaly();
        var e = Assert.Throws<AnomalyException>(() => x.Log());

        // log(0) = -inf, at element 1; the exp before it is not blamed (nothing ran before it).
        Assert.Equal("log", e.Op);
        Assert.Equal(TracePhase.Forward, e.Phase);
        Assert.Equal(["x"], e.Inputs);
        Assert.Contains("-Infinity at element 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Backward_of_sqrt_at_zero_is_named()
    {
        // y = sqrt(x) is finite at x = 0, but dy/dx = 1 / (2 sqrt(x)) = +inf there: the backward rule makes the infinity.
        var x = Tensor.FromArray(new double[] { 4, 0 }).Named("x").RequireGrad();
        using var scope = Autograd.DetectAnomaly();
        var y = (x.Sqrt() * 3.0).Sum(); // the mul's backward gives 3 (finite) into sqrt's
        var e = Assert.Throws<AnomalyException>(() => y.Backward());
        Assert.Equal("sqrt", e.Op);
        Assert.Equal(TracePhase.Backward, e.Phase);
        Assert.Contains("Infinity at element 1", e.Message, StringComparison.Ordinal);
        Assert.Contains("the gradient of x", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Off_by_default_and_restored_after_the_scope()
    {
        var x = Tensor.FromArray(new double[] { 4, 0 }).RequireGrad();
        Assert.False(Autograd.IsAnomalyEnabled);
        using (Autograd.DetectAnomaly())
        {
            Assert.True(Autograd.IsAnomalyEnabled);
        }

        Assert.False(Autograd.IsAnomalyEnabled);
        x.Sqrt().Sum().Backward();
        Assert.Equal([0.25, double.PositiveInfinity], x.Grad!.ToDoubleArray()); // 1/(2·2) and 1/(2·0)
        Assert.Equal(double.NegativeInfinity, Tensor.Scalar(0.0).Log().Item());
    }

    [Fact]
    public void A_nan_that_comes_in_is_not_blamed_on_the_ops_it_passes_through()
    {
        var x = Tensor.FromArray(new double[] { double.NaN, 1 }).RequireGrad();
        using var scope = Autograd.DetectAnomaly();
        var y = (x.Exp() * 2.0).Sum();
        y.Backward();
        Assert.True(double.IsNaN(y.Item()));
        Assert.True(double.IsNaN(x.Grad!.ToDoubleArray()[0]));
    }

    [Fact]
    public void Overflow_in_a_layer_names_the_layer_and_its_parameter()
    {
        // 3e38 + 3e38 overflows float32 (max 3.40e38): the linear op of layer "1" makes +inf from finite inputs.
        var model = new Sequential(new Flatten(), new Linear(2, 1));
        using (GradMode.NoGrad())
        {
            model.StateDict()["1.weight"].FillInPlace(3e38);
            model.StateDict()["1.bias"].FillInPlace(0);
        }

        var x = Tensor.Ones(new Shape(1, 2));
        using var scope = Autograd.DetectAnomaly(model.NamedParameters());
        var e = Assert.Throws<AnomalyException>(() => model.Forward(x));
        Assert.Equal("linear", e.Op);
        Assert.Equal("1", e.Layer);
        Assert.Equal(["1: Linear", "linear"], e.Groups);
        Assert.Equal(["1.weight", "1.bias"], e.Inputs);
        Assert.Contains("in layer 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NonFinite_finds_the_first_bad_element_in_row_major_order()
    {
        var t = Tensor.FromArray(new double[] { 1, 2, 3, double.PositiveInfinity, 5, double.NaN }).Reshape(2, 3);
        Assert.Equal((3L, double.PositiveInfinity), NonFinite.First(t));

        // Transposed (not contiguous): rows of t.T are [1, inf], [2, 5], [3, NaN]: the first is at index 1.
        Assert.Equal((1L, double.PositiveInfinity), NonFinite.First(t.T));
        Assert.Null(NonFinite.First(Tensor.Ones(new Shape(1000))));
        Assert.True(NonFinite.AllFinite(Tensor.FromArray(new long[] { 1, 2 })));
        Assert.Equal(("b", 0L, double.NaN), NonFinite.First([("a", Tensor.Ones(new Shape(3))), ("b", Tensor.Full(new Shape(2), double.NaN))]));
    }
}
