using Nabla.Data;
using Nabla.Optim;
using Nabla.Training;

namespace Nabla.Tests.Training;

/// <summary>A short real-data run on ../shared/data/mnist (skipped, with the reason, when absent).</summary>
public class MnistTests
{
    [MnistFact]
    public void LeNet5_learns_real_mnist_in_two_short_epochs()
    {
        var all = new MNIST(TestPaths.MnistDir()!, train: false).Data;
        Assert.Equal(10_000, all.Count);
        var prep = new Compose(new Pad(2), new Normalize(0.1307, 0.3081));
        TensorDataset Prepare(TensorDataset d) => new(prep.Apply(d.Inputs, new Generator(0)), d.Targets);
        var train = Prepare(all.Slice(0, 3000));
        var test = Prepare(all.Slice(8000, 2000));
        var model = BuiltinModels.LeNet5(new Generator(0));
        var trainer = new Trainer(model, new SGD(model.Parameters(), lr: 0.05, momentum: 0.9));
        trainer.Fit(new DataLoader(train, 64, shuffle: true, generator: new Generator(1)), 2);
        var r = trainer.Evaluate(new DataLoader(test, 500));
        Assert.InRange(r.Accuracy, 0.88, 1.0);
    }
}
