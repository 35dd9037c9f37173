using Nabla.NN;

namespace Nabla.Analysis;

/// <summary>
/// What a model does to one input sample, layer by layer: output shapes, parameters, MACs, activation memory
/// and receptive fields, found by shape arithmetic alone. Analysis is data; <see cref="SummaryRenderer"/>
/// and <see cref="SummaryJson"/> print it.
/// </summary>
/// <remarks>
/// <para>Shapes are per sample, without the batch dimension: a 32×32 grey image is <c>[1, 32, 32]</c>, a sequence of
/// 50 vectors of 8 features <c>[50, 8]</c>. Internally a batch of one flows through the layers, so dimension
/// arguments (<c>Flatten(startDim: 1)</c>, <c>Softmax(dim: -1)</c>) mean what they mean in PyTorch.</para>
/// <para>No activation is allocated, and no parameter either when the summary is taken of a <see cref="LayerSpec"/>
/// (a model file): a 10¹²-parameter model is reported, not built. Conventions: see Note [MAC convention] and
/// Note [Parameters and buffers] in <c>ShapeAnalyzer.Layers.cs</c>, and docs/summary.md.</para>
/// </remarks>
/// <param name="Name">The model's name, or null.</param>
/// <param name="InputShape">The per-sample input shape.</param>
/// <param name="OutputShape">The per-sample output shape.</param>
/// <param name="Rows">One row per layer and per container, in forward order (a container before its children).</param>
/// <param name="Totals">Whole-model figures (sums over the leaf layers).</param>
public sealed record ModelSummary(string? Name, Shape InputShape, Shape OutputShape, IReadOnlyList<LayerRow> Rows, SummaryTotals Totals)
{
    private const int BytesPerElement = 4;

    /// <summary>The leaf layers (no containers), whose figures add up to <see cref="Totals"/>.</summary>
    public IEnumerable<LayerRow> Layers => Rows.Where(r => !r.IsContainer);

    /// <summary>The row whose name (model-file label) or path is <paramref name="nameOrPath"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such layer.</exception>
    public LayerRow this[string nameOrPath] =>
        Rows.FirstOrDefault(r => r.Name == nameOrPath) ?? Rows.FirstOrDefault(r => r.Path == nameOrPath)
        ?? throw new KeyNotFoundException($"no layer named '{nameOrPath}' (layers: {string.Join(", ", Rows.Select(r => r.Label))})");

    /// <summary>Summarises a built module for a per-sample input shape.</summary>
    /// <remarks>Parameters are counted from the layer arguments (frozen ones from the module's tensors); modules
    /// Nabla does not know are analysed through their own <see cref="Module.OutputShape"/> and tensors, with 0 MACs.</remarks>
    /// <example><code>var s = ModelSummary.Of(model, new Shape(1, 32, 32)); Console.WriteLine(s.Totals.Params);</code></example>
    public static ModelSummary Of(Module model, Shape inputShape, string? name = null)
    {
        var frozen = new Dictionary<string, long>();
        foreach (var (path, m) in model.NamedModules())
        {
            long f = m.NamedParameters(recurse: false).Where(p => !p.Parameter.RequiresGrad).Sum(p => p.Parameter.Numel);
            if (f > 0)
            {
                frozen[path] = f;
            }
        }

        return Analyze(LayerRegistry.Describe(model), inputShape, name, frozen);
    }

    /// <summary>Summarises a described model (nothing is allocated) for a per-sample input shape.</summary>
    /// <exception cref="ModelShapeException">The shapes do not fit; the message names the layer and both shapes.</exception>
    public static ModelSummary Of(LayerSpec model, Shape inputShape, string? name = null) => Analyze(model, inputShape, name, null);

    private static ModelSummary Analyze(LayerSpec model, Shape inputShape, string? name, IReadOnlyDictionary<string, long>? frozen)
    {
        var analyzer = new ShapeAnalyzer(frozen);
        var batched = new Shape([1, .. inputShape.ToArray()]);
        var output = analyzer.RunRoot(model, new ShapeAnalyzer.Flow(batched, null, null));
        var rows = analyzer.Rows;
        var leaves = rows.Where(r => !r.IsContainer).ToList();
        long parameters = leaves.Sum(r => r.Params), trainable = leaves.Sum(r => r.Trainable), nonTrainable = leaves.Sum(r => r.NonTrainable);
        long buffers = nonTrainable - (parameters - trainable);
        var totals = new SummaryTotals(parameters, trainable, nonTrainable, leaves.Where(r => !r.IsAuxiliary).Sum(r => r.Macs), inputShape.Numel * BytesPerElement,
            leaves.Sum(r => r.ActivationBytes), (parameters + buffers) * BytesPerElement, output.Rf)
        {
            AuxiliaryParams = leaves.Where(r => r.IsAuxiliary).Sum(r => r.Params),
            AuxiliaryMacs = leaves.Where(r => r.IsAuxiliary).Sum(r => r.Macs),
        };
        return new ModelSummary(name, inputShape, new Shape(output.Shape.ToArray()[1..]), rows, totals);
    }
}

/// <summary>Two models side by side: parameters and MACs of each, and the saving of the second over the first.</summary>
/// <param name="Baseline">The reference model (e.g. a naive 5×5 convolution).</param>
/// <param name="Candidate">The alternative (e.g. a 1×1 bottleneck then the 5×5).</param>
public sealed record ModelComparison(ModelSummary Baseline, ModelSummary Candidate)
{
    /// <summary>Baseline parameters ÷ candidate parameters (above 1: the candidate is smaller).</summary>
    public double ParamsRatio => Ratio(Baseline.Totals.Params, Candidate.Totals.Params);

    /// <summary>Baseline MACs ÷ candidate MACs (the "saving factor").</summary>
    public double MacsRatio => Ratio(Baseline.Totals.Macs, Candidate.Totals.Macs);

    /// <summary>Parameters saved by the candidate (negative when it has more).</summary>
    public long ParamsSaved => Baseline.Totals.Params - Candidate.Totals.Params;

    /// <summary>MACs saved by the candidate (negative when it needs more).</summary>
    public long MacsSaved => Baseline.Totals.Macs - Candidate.Totals.Macs;

    private static double Ratio(long a, long b) => b == 0 ? double.PositiveInfinity : (double)a / b;
}
