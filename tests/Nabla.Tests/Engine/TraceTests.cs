using Nabla.NN;

namespace Nabla.Tests.Engine;

public class TraceTests
{
    [Fact]
    public void Trace_records_forward_and_backward_steps_with_values()
    {
        // y = (x·w + b)², dy/dw = 2(xw + b)·x = 2·(2·3 + 1)·2 = 28.
        var x = Tensor.Scalar(2.0).Named("x");
        var w = Tensor.Scalar(3.0).RequireGrad().Named("w");
        var b = Tensor.Scalar(1.0).RequireGrad().Named("b");
        using var trace = Trace.Capture();
        var z = ((x * w) + b).Named("z");
        var y = (z * z).Named("y");
        y.Backward();
        Assert.Equal(28.0, w.Grad!.Item());

        var forward = trace.Steps.Where(s => s.Phase == TracePhase.Forward).ToList();
        Assert.Equal(["mul", "add", "mul"], forward.Select(s => s.Op));
        Assert.Equal(["x", "w"], forward[0].Inputs.Select(i => i.Label));
        Assert.Equal([7.0], forward[1].Outputs[0].Values!);
        Assert.Equal("y = a ⊙ b", forward[0].Formula);

        var backward = trace.Steps.Where(s => s.Phase == TracePhase.Backward).ToList();
        Assert.Equal(["mul", "add", "mul"], backward.Select(s => s.Op));
        Assert.All(backward[0].Outputs, o => Assert.Equal(7.0, o.Values![0])); // z·z: each path gives z = 7 (summed: 2z = 14)
        Assert.Contains(backward[2].Outputs, o => o.Label == "dw" && o.Values![0] == 28.0);
    }

    [Fact]
    public void Composite_ops_and_layers_appear_as_groups()
    {
        var model = new Sequential(new Linear(3, 2, generator: new Generator(0)), new Softmax(1));
        using var trace = Trace.Capture();
        model.Forward(Tensor.Ones(new Shape(1, 3)));
        Assert.Contains(trace.Steps, s => s.Groups.SequenceEqual(["0: Linear", "linear"]) && s.Op == "linear");
        Assert.Contains(trace.Steps, s => s.Groups.SequenceEqual(["1: Softmax", "softmax"]) && s.Op == "exp");
    }

    [Fact]
    public void Nothing_is_recorded_outside_a_capture()
    {
        Trace trace;
        using (trace = Trace.Capture())
        {
            _ = Tensor.Scalar(1.0) + 1.0;
        }

        _ = Tensor.Scalar(1.0) * 3.0;
        Assert.Single(trace.Steps);
        Assert.False(Trace.IsActive);
    }

    [Fact]
    public void Large_tensors_are_recorded_by_shape_only()
    {
        using var trace = Trace.Capture(maxValues: 4);
        _ = Tensor.Ones(new Shape(3, 3)) * 2.0;
        Assert.Null(trace.Steps[0].Outputs[0].Values);
        Assert.Equal(new Shape(3, 3), trace.Steps[0].Outputs[0].Shape);
    }
}
