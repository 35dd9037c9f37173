using System.Globalization;

namespace Nabla.NN;

/// <summary>
/// A layer with no arguments that keeps its input's shape and learns nothing (an activation): the whole descriptor
/// is its formula. A new activation <c>Foo</c> is <c>public sealed class FooDescriptor() : SimpleDescriptor&lt;Foo&gt;("y = ...");</c>.
/// </summary>
/// <typeparam name="TModule">The module class (with a parameterless constructor).</typeparam>
/// <param name="formula">What it computes, for explain.</param>
public abstract class SimpleDescriptor<TModule>(string formula) : LayerDescriptor<TModule>([])
    where TModule : Module, new()
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples => [new(new LayerSpec(Name), new Shape(2, 3))];

    /// <inheritdoc/>
    public override Module Build(LayerSpec spec) => new TModule();

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec spec, Shape input) => Unchanged(input);

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) => formula;

    /// <inheritdoc/>
    protected override LayerSpec Describe(TModule module) => new(Name);
}

/// <summary><c>nn.ReLU</c>.</summary>
public sealed class ReLUDescriptor() : SimpleDescriptor<ReLU>("y = max(0, x)");

/// <summary><c>nn.Tanh</c>.</summary>
public sealed class TanhDescriptor() : SimpleDescriptor<Tanh>("y = tanh(x)");

/// <summary><c>nn.Sigmoid</c>.</summary>
public sealed class SigmoidDescriptor() : SimpleDescriptor<Sigmoid>("y = 1/(1 + e^(−x))");

/// <summary><c>nn.Identity</c>.</summary>
public sealed class IdentityDescriptor() : SimpleDescriptor<Identity>("y = x");

/// <summary>A one-argument element-wise layer: the argument's definition, how to read it back, and the formula.</summary>
/// <typeparam name="TModule">The module class.</typeparam>
public abstract class OneArgDescriptor<TModule>(ArgDef arg, Func<LayerSpec, Module> build, Func<TModule, object> read, Func<LayerSpec, bool, string> formula, object example)
    : LayerDescriptor<TModule>([arg])
    where TModule : Module
{
    /// <inheritdoc/>
    public override IReadOnlyList<LayerExample> Examples => [new(LayerSpec.Of(Name, (Args[0].Name, example)), new Shape(2, 3))];

    /// <inheritdoc/>
    public override Module Build(LayerSpec spec) => build(spec);

    /// <inheritdoc/>
    public override LayerFacts Analyze(LayerSpec spec, Shape input) => Unchanged(input);

    /// <inheritdoc/>
    public override string Formula(LayerSpec spec, Module layer, bool train) => formula(spec, train);

    /// <inheritdoc/>
    protected override LayerSpec Describe(TModule module) => SpecOf((Args[0].Name, read(module)));

    /// <summary>A number as explain prints it.</summary>
    protected static string Num(double v) => v.ToString("0.######", CultureInfo.InvariantCulture);
}

/// <summary><c>nn.LeakyReLU</c>.</summary>
public sealed class LeakyReLUDescriptor() : OneArgDescriptor<LeakyReLU>(new("negativeSlope", ArgKind.Double, 0.01), s => new LeakyReLU(s.Double("negativeSlope")),
    m => m.NegativeSlope, (s, _) => $"y = x if x > 0 else {Num(s.Double("negativeSlope"))}·x", 0.2);

/// <summary><c>nn.ELU</c>.</summary>
public sealed class ELUDescriptor() : OneArgDescriptor<ELU>(new("alpha", ArgKind.Double, 1.0), s => new ELU(s.Double("alpha")),
    m => m.Alpha, (s, _) => $"y = x if x > 0 else {Num(s.Double("alpha"))}·(e^x − 1)", 0.5);

/// <summary><c>nn.GELU</c>.</summary>
public sealed class GELUDescriptor() : OneArgDescriptor<GELU>(new("approximate", ArgKind.String, "none"), s => new GELU(s.Str("approximate")),
    m => m.Approximate, (s, _) => "y = x·Φ(x)" + (s.Str("approximate") == "tanh" ? " (tanh approximation)" : string.Empty), "tanh");

/// <summary><c>nn.Softmax</c>.</summary>
public sealed class SoftmaxDescriptor() : OneArgDescriptor<Softmax>(new("dim", ArgKind.Int, -1), s => new Softmax(s.Int("dim")),
    m => m.Dim, (s, _) => $"y = e^x / Σ e^x over dim {s.Int("dim")}", 1);

/// <summary><c>nn.LogSoftmax</c>.</summary>
public sealed class LogSoftmaxDescriptor() : OneArgDescriptor<LogSoftmax>(new("dim", ArgKind.Int, -1), s => new LogSoftmax(s.Int("dim")),
    m => m.Dim, (s, _) => $"y = x − log Σ e^x over dim {s.Int("dim")}", 1);

/// <summary><c>nn.Dropout</c>.</summary>
public sealed class DropoutDescriptor() : OneArgDescriptor<Dropout>(new("p", ArgKind.Double, 0.5), s => new Dropout(s.Double("p")),
    m => m.P, DropoutFormula, 0.25)
{
    internal static string DropoutFormula(LayerSpec s, bool train) =>
        train ? $"y = x·mask/(1 − p), p = {Num(s.Double("p"))} (training mode)" : "y = x (evaluation mode)";
}

/// <summary><c>nn.Dropout2d</c>: whole channels are dropped.</summary>
public sealed class Dropout2dDescriptor() : OneArgDescriptor<Dropout2d>(new("p", ArgKind.Double, 0.5), s => new Dropout2d(s.Double("p")),
    m => m.P, DropoutDescriptor.DropoutFormula, 0.25);
