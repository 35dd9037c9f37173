using Nabla.Cli.Commands;
using Nabla.Formats;
using Nabla.Optim;
using Nabla.Tests.Explain;
using Nabla.Training;

namespace Nabla.Tests.Training;

/// <summary>
/// The training choices as a library API (<see cref="TrainingSetup"/>): the same names as <c>nabla train</c> give the
/// same trained weights, train's defaults hold, bad choices are refused, and docs/training.md's snippet is this
/// file's compiled code.
/// Runs alone (<see cref="GlobalStateCollection"/>): it sets the process-wide thread count, as nabla train does.
/// </summary>
[Collection(GlobalStateCollection.Name)]
public sealed class TrainingSetupTests
{
    [Fact]
    public void The_docs_snippet_compiles_and_trains()
    {
        // snippet-start
        var setup = new TrainingSetup
        {
            Model = "lenet5", Data = "synthetic", Optimizer = "adam(weight_decay=1e-4)", Loss = "CrossEntropyLoss(label_smoothing=0.1)",
            Seed = 1, TrainSize = 256, TestSize = 64, Epochs = 1,
        };
        TrainingRun run = setup.Create();   // model, data, loaders, optimizer, loss and trainer, as nabla train makes them
        run.Trainer.Fit(run.TrainLoader, run.Epochs, run.TestLoader);
        EvaluationResult result = run.Trainer.Evaluate(run.TestLoader);
        // snippet-end
        Assert.Equal(64, result.Samples);
        Assert.InRange(result.Accuracy, 0, 1);
        Assert.IsType<Adam>(run.Trainer.Optimizer);
        Assert.Equal(1e-4, run.Trainer.Optimizer.ParamGroups[0]["weightDecay"]);

        string source = File.ReadAllText(Path.Combine(ExerciseExamplesTests.Root, "tests/Nabla.Tests/Training/TrainingSetupTests.cs"));
        int start = source.IndexOf("// snippet-start\n", StringComparison.Ordinal) + "// snippet-start\n".Length;
        string snippet = string.Join("\n", source[start..source.IndexOf("        // snippet-end", StringComparison.Ordinal)]
            .Split('\n').Select(l => l.Length >= 8 ? l[8..] : l.TrimStart()));
        string docs = File.ReadAllText(Path.Combine(ExerciseExamplesTests.Root, "docs/training.md"));
        Assert.Contains(snippet, docs, StringComparison.Ordinal);
    }

    /// <summary>The library with the command's values trains the very weights <c>nabla train</c> writes (one thread in both).</summary>
    [Fact]
    public void The_library_trains_what_nabla_train_trains_with_the_same_names()
    {
        string dir = Directory.CreateTempSubdirectory("nabla-setup-").FullName;
        int threads = Threads.Count;
        try
        {
            string[] args = ["--model", "mlp", "--optimizer", "adamw", "--lr", "0.002", "--seed", "3", "--train-size", "192", "--test-size", "64",
                "--epochs", "2", "--batch-size", "32", "--threads", "1", "--out", dir];
            Assert.Equal(0, TrainCommand.Run(args, TextWriter.Null, TextWriter.Null));
            var expected = Safetensors.Load(Path.Combine(dir, "model.safetensors")).Tensors;

            Threads.Count = 1;
            var setup = new TrainingSetup { Model = "mlp", Optimizer = "adamw", Lr = 0.002, Seed = 3, TrainSize = 192, TestSize = 64, Epochs = 2, BatchSize = 32 };
            var run = setup.Create();
            run.Trainer.Fit(run.TrainLoader, run.Epochs, run.TestLoader);
            var actual = run.Model.StateDict();
            Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
            foreach (var (name, t) in expected)
            {
                Assert.Equal(t.ToDoubleArray(), actual[name].ToDoubleArray());
            }
        }
        finally
        {
            Threads.Count = threads;
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Train_defaults_hold()
    {
        var p = new[] { Tensor.FromArray([1.0]).RequireGrad() };
        var sgd = new TrainingSetup().CreateOptimizer(p);
        Assert.IsType<SGD>(sgd);
        Assert.Equal(0.05, sgd.ParamGroups[0].Lr);
        Assert.Equal(0.9, sgd.ParamGroups[0]["momentum"]);
        Assert.Equal(0.5, new TrainingSetup { Optimizer = "sgd(lr=0.1)", Lr = 0.5 }.CreateOptimizer(p).ParamGroups[0].Lr);
        Assert.Equal(1e-3, new TrainingSetup { Optimizer = "Adam" }.CreateOptimizer(p).ParamGroups[0].Lr);   // PyTorch's default
        Assert.Equal(3, new TrainingSetup().EpochCount);
        Assert.Equal(10, new TrainingSetup { Data = "mnist:data" }.EpochCount);
        Assert.Equal("lenet5", new TrainingSetup().ModelName);
        Assert.Equal("cnn", new TrainingSetup { Data = "images:photos" }.ModelName);

        // The default loss is cross-entropy: −log softmax([2, 0])[0] = log(1 + e⁻²).
        double loss = new TrainingSetup().CreateLoss()(Tensor.FromArray(new[] { 2.0, 0.0 }).Reshape(1, 2), Tensor.FromArray(new long[] { 0 })).Item();
        Assert.Equal(Math.Log(1 + Math.Exp(-2)), loss, 12);
    }

    [Theory]
    [InlineData("lbfgs", null, null, "LBFGS needs a closure")]
    [InlineData("adan", null, null, "unknown optimizer 'adan'; did you mean 'Adam'?")]
    [InlineData("sgd", "TripletMarginLoss", null, "TripletMarginLoss takes anchor, positive, negative")]
    [InlineData("sgd", "cross_entropi", null, "did you mean 'cross_entropy'?")]
    [InlineData("sgd", "mse", "no-such-model", "'no-such-model' is neither a built-in model (lenet5, mlp, cnn) nor a model file")]
    [InlineData("sgd", "mse", "dataset:x", "unknown data 'dataset:x'")]
    public void Bad_choices_are_refused(string optimizer, string? loss, string? what, string message)
    {
        var setup = new TrainingSetup { Optimizer = optimizer, Loss = loss ?? "CrossEntropyLoss", TrainSize = 32, TestSize = 16 };
        setup = what is null ? setup : what.Contains(':', StringComparison.Ordinal) ? setup with { Data = what } : setup with { Model = what };
        var e = Assert.ThrowsAny<ArgumentException>(() => setup.Create());
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }
}
