using Nabla.Optim;

namespace Nabla.Tests.NN;

public class ReduceLROnPlateauTests
{
    [Fact]
    public void Reduces_after_patience_bad_epochs_then_waits_for_cooldown()
    {
        // PyTorch semantics (mode min, relative threshold 1e-4): an epoch is bad unless metric < best·(1 − 1e-4);
        // after more than `patience` bad epochs the rate is multiplied by `factor` and the count restarts;
        // during `cooldown` epochs bad epochs are not counted.
        var p = Tensor.Zeros(new Shape(1)).RequireGrad();
        var opt = new SGD([p], lr: 1.0);
        var s = new ReduceLROnPlateau(opt, factor: 0.5, patience: 2, cooldown: 1);
        double[] metrics = [10, 9, 9, 9, 9, 9, 9, 9, 8];
        double[] expected = [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5];
        //                   best  ↓  bad1 bad2 bad3→cut  cooldown  bad1 bad2 better
        for (int e = 0; e < metrics.Length; e++)
        {
            s.Step(metrics[e]);
            Assert.Equal(expected[e], opt.ParamGroups[0].Lr);
        }

        // Three more bad epochs at 8 pass the patience again: 0.25; a minimum rate caps further cuts.
        s.Step(8);
        s.Step(8);
        s.Step(8);
        Assert.Equal(0.25, opt.ParamGroups[0].Lr);
        var capped = new ReduceLROnPlateau(opt, factor: 0.1, patience: 0, minLr: 0.2);
        capped.Step(1);
        capped.Step(1);
        Assert.Equal(0.2, opt.ParamGroups[0].Lr);
    }
}
