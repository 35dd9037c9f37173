using Nabla.Models;
using Nabla.NN;

namespace Nabla.Analysis;

/// <summary>What shape arithmetic adds to a model file's <see cref="ModelDefinition"/>: its summary, and building it only when it fits.</summary>
public static class ModelDefinitionAnalysis
{
    /// <summary>The largest model <see cref="Build(ModelDefinition, long)"/> allocates by default (parameters plus buffers).</summary>
    public const long DefaultMaxParameters = 2_000_000_000;

    /// <summary>The summary for <paramref name="input"/> (default: the file's input shape), by shape arithmetic only.</summary>
    /// <exception cref="ModelShapeException">The shapes do not fit.</exception>
    public static ModelSummary Summarize(this ModelDefinition definition, Shape? input = null) =>
        ModelSummary.Of(definition.Model, input ?? definition.InputShape
            ?? throw new ArgumentException($"{definition.Name ?? "the model"}: no input shape: give 'input: [C, H, W]' in the file or pass one"), definition.Name);

    /// <summary>
    /// Builds the module, after checking by shape arithmetic that its shapes fit and that it is not absurdly large
    /// (nothing is allocated for a model over <paramref name="maxParameters"/>).
    /// </summary>
    /// <exception cref="ModelShapeException">The shapes do not fit, or the model is too large to allocate.</exception>
    public static Module Build(this ModelDefinition definition, long maxParameters = DefaultMaxParameters)
    {
        if (definition.InputShape is Shape input)
        {
            var t = definition.Summarize(input).Totals;
            long elements = t.Params + (t.NonTrainable - (t.Params - t.Trainable));
            if (elements > maxParameters)
            {
                throw new ModelShapeException($"model '{definition.Name ?? "model"}'",
                    $"it has {SummaryRenderer.Count(t.Params)} parameters ({SummaryRenderer.Bytes(elements * 4)} in float32), more than the {SummaryRenderer.Count(maxParameters)} allowed; " +
                    "nothing was allocated (its summary needs no allocation: nabla summary)");
            }
        }

        return LayerRegistry.Build(definition.Model);
    }

    /// <summary>
    /// <see cref="Build(ModelDefinition, long)"/> with the parameters initialised from <paramref name="generator"/>
    /// (which advances as the layers draw from it), as a module built with <c>generator:</c> arguments would be; the
    /// default generator is left as it was.
    /// </summary>
    /// <exception cref="ModelShapeException">The shapes do not fit, or the model is too large to allocate.</exception>
    public static Module Build(this ModelDefinition definition, Generator generator, long maxParameters = DefaultMaxParameters)
    {
        // The layers initialise from the current generator: lend them this one, on this thread only.
        using (Generator.Use(generator))
        {
            return definition.Build(maxParameters);
        }
    }
}
