using System.Globalization;
using System.Reflection;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Tests.NN;

/// <summary>
/// The loss registry: every loss class is listed (or says why not), its options are the constructor's parameters with
/// the constructor's defaults, names resolve in PyTorch's and .NET's spellings, and misspellings get a suggestion. The
/// losses' numbers are checked against PyTorch by the golden tests, which build every loss through the registry.
/// </summary>
public sealed class LossRegistryTests
{
    private static readonly Type[] LossClasses = [.. typeof(Loss).Assembly.GetTypes()
        .Where(t => t.IsPublic && !t.IsAbstract && typeof(Loss).IsAssignableFrom(t))];

    [Fact]
    public void Every_public_loss_class_is_registered_or_has_a_stated_reason()
    {
        Assert.NotEmpty(LossClasses);
        foreach (var t in LossClasses)
        {
            bool listed = LossRegistry.All.Any(e => e.Name == t.Name);
            Assert.True(listed || LossRegistry.NotListed.TryGetValue(t, out var why) && why.Length > 0, $"{t.Name} is neither in LossRegistry.All nor in NotListed");
        }

        Assert.Equal(LossRegistry.All.Count, LossRegistry.Names.Distinct().Count());
        Assert.Equal(LossRegistry.All.Count, LossRegistry.FunctionalNames.Distinct().Count());
    }

    [Fact]
    public void Each_entry_builds_its_class_whose_constructor_takes_exactly_the_listed_options_with_the_same_defaults()
    {
        foreach (var entry in LossRegistry.All)
        {
            var loss = LossRegistry.Create(entry.Name);
            Assert.Equal(entry.Name, loss.GetType().Name);
            var parameters = loss.GetType().GetConstructors().Single().GetParameters();
            var listed = entry.Args.Select(a => a.Name).Concat(entry.TensorArgs).Select(LossRegistry.DotNetName).Order(StringComparer.Ordinal);
            Assert.Equal(parameters.Select(p => p.Name!).Order(StringComparer.Ordinal), listed);
            foreach (var arg in entry.Args)
            {
                var p = parameters.Single(p => p.Name == LossRegistry.DotNetName(arg.Name));
                object? dflt = p.ParameterType.IsEnum ? Enum.ToObject(p.ParameterType, p.DefaultValue!) : p.DefaultValue;
                Assert.True(Equals(Parse(arg.Default!, p.ParameterType), dflt), $"{entry.Name}.{arg.Name}: registry default {arg.Default}, constructor {p.DefaultValue}");
            }

            foreach (var name in entry.TensorArgs)
            {
                Assert.Null(parameters.Single(p => p.Name == LossRegistry.DotNetName(name)).DefaultValue);
            }
        }
    }

    [Fact]
    public void Inputs_are_the_forward_parameters_and_the_functional_names_are_methods_of_F()
    {
        foreach (var entry in LossRegistry.All)
        {
            var forward = typeof(Loss).Assembly.GetType($"Nabla.NN.{entry.Name}")!.GetMethods()
                .Where(m => m.Name == "Forward" && m.GetParameters().Length == entry.Inputs.Count && m.GetParameters().All(p => p.ParameterType == typeof(Tensor)));
            Assert.Contains(forward, m => m.GetParameters().Select(p => p.Name).SequenceEqual(entry.Inputs.Select(LossRegistry.DotNetName)));
            Assert.Contains(typeof(F).GetMethods(BindingFlags.Public | BindingFlags.Static), m => m.Name == entry.DotNetFunctional);
        }
    }

    [Theory]
    [InlineData("cross_entropy", "CrossEntropyLoss")]
    [InlineData("CrossEntropyLoss", "CrossEntropyLoss")]
    [InlineData("crossentropyloss", "CrossEntropyLoss")]
    [InlineData("nll", "NLLLoss")]
    [InlineData("nll_loss", "NLLLoss")]
    [InlineData("mse", "MSELoss")]
    [InlineData("bce", "BCELoss")]
    [InlineData("binary_cross_entropy", "BCELoss")]
    [InlineData("bce_with_logits", "BCEWithLogitsLoss")]
    [InlineData("binary_cross_entropy_with_logits", "BCEWithLogitsLoss")]
    [InlineData("kl_div", "KLDivLoss")]
    [InlineData("multilabel_soft_margin_loss", "MultiLabelSoftMarginLoss")]
    [InlineData("ctc_loss", "CTCLoss")]
    public void Names_resolve_in_class_functional_and_short_spellings(string name, string expected) =>
        Assert.Equal(expected, LossRegistry.Find(name).Name);

    [Theory]
    [InlineData("CrossEntropyLos", null, "unknown loss 'CrossEntropyLos'; did you mean 'CrossEntropyLoss'?")]
    [InlineData("huber_los", null, "did you mean 'huber_loss'?")]
    [InlineData("CrossEntropyLoss", "label_smothing", "CrossEntropyLoss has no argument 'label_smothing'; did you mean 'label_smoothing'?")]
    [InlineData("CrossEntropyLoss", "weight", "CrossEntropyLoss: weight is a tensor")]
    [InlineData("MSELoss", "size_average", "MSELoss has no argument 'size_average'")]
    public void Unknown_names_and_options_are_refused_with_a_suggestion(string name, string? option, string message)
    {
        var args = option is null ? null : new Dictionary<string, string> { [option] = "1" };
        var e = Assert.ThrowsAny<ArgumentException>(() => LossRegistry.Create(name, args));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_option_values_are_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => LossRegistry.FromSpec("MSELoss(reduction=avg)"));
        Assert.Contains("reduction is one of none, mean, sum, got 'avg'", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => LossRegistry.Create("NLLLoss", tensors: new Dictionary<string, Tensor> { ["pos_weight"] = Tensor.Ones(new Shape(2)) }));
        Assert.Contains("NLLLoss has no tensor option 'pos_weight'; it takes: weight", e.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Options in either spelling reach the constructor: Huber with δ = 0.5 on |x − y| = 2 is δ(|d| − δ/2) = 0.875, and
    /// smooth L1 with β = 4 on |d| = 2 is d²/(2β) = 0.5 (PyTorch's formulas, by hand); reduction sum adds two such terms.
    /// </summary>
    [Theory]
    [InlineData("HuberLoss(delta=0.5)", 0.875)]
    [InlineData("huber_loss(delta=0.5, reduction=sum)", 1.75)]
    [InlineData("SmoothL1Loss(beta=4)", 0.5)]
    [InlineData("smooth_l1(beta=4.0, reduction='sum')", 1.0)]
    public void Options_in_a_spec_reach_the_loss(string spec, double expected)
    {
        var loss = LossRegistry.FromSpec(spec);
        Assert.Equal(expected, loss.Forward(Tensor.FromArray([2.0, -2.0]), Tensor.FromArray([0.0, 0.0])).Item(), 12);
    }

    [Fact]
    public void Dotnet_spelling_of_an_option_equals_the_PyTorch_one()
    {
        var x = Tensor.FromArray(new[] { 2.0, 0.0, -1.0 }).Reshape(1, 3);
        var y = Tensor.FromArray(new long[] { 0 });
        double a = LossRegistry.Create("cross_entropy", new Dictionary<string, string> { ["label_smoothing"] = "0.3" }).Forward(x, y).Item();
        double b = LossRegistry.Create("CrossEntropyLoss", new Dictionary<string, string> { ["labelSmoothing"] = "0.3" }).Forward(x, y).Item();
        Assert.Equal(a, b);
        Assert.Equal(F.CrossEntropy(x, y, labelSmoothing: 0.3).Item(), a);
        Assert.Equal("ignoreIndex", LossRegistry.DotNetName("ignore_index"));
        Assert.Equal("posWeight", LossRegistry.DotNetName("pos_weight"));
    }

    private static object? Parse(string text, Type type) => type switch
    {
        _ when type == typeof(double) => double.Parse(text, CultureInfo.InvariantCulture),
        _ when type == typeof(int) => int.Parse(text, CultureInfo.InvariantCulture),
        _ when type == typeof(bool) => text == "True",
        _ when type == typeof(Reduction) => Enum.Parse<Reduction>(text, ignoreCase: true),
        _ => throw new InvalidOperationException($"no parser for {type}"),
    };
}
