namespace Nabla.NN;

/// <summary>
/// A head that leaves the main path and gives an extra output, as torchvision's GoogLeNet heads <c>aux1</c> and
/// <c>aux2</c> and Inception-v3's <c>AuxLogits</c>: y = x on the main path; in training mode the head's layers also
/// run on x and their result is kept in <see cref="Output"/> (in evaluation mode they do not run and it is null).
/// </summary>
/// <remarks>
/// <para>The model file's <c>Auxiliary</c> layer. The head's layers are registered under their own names, as
/// torchvision's <c>InceptionAux</c> names them, so the state dict reads <c>aux1.conv.conv.weight</c>,
/// <c>aux1.fc1.weight</c>, ….</para>
/// <para>A model's forward returns the main output; after a forward in training mode the auxiliary outputs are
/// read with <see cref="OutputsOf"/> and added to the loss, as torchvision's reference training does:
/// loss = L(main) + 0.3·(L(aux1) + L(aux2)). The graph of each kept output reaches the head's parameters and the
/// trunk below it, so backward sends gradients to both.</para>
/// </remarks>
public sealed class Auxiliary : Module
{
    private readonly List<Module> layers = [];
    private readonly List<string> names = [];

    /// <summary>Creates the head from named layers, applied in order (as <see cref="Sequential"/>'s).</summary>
    /// <exception cref="ArgumentException">No layer is given, or a name is empty, contains '.', or is given twice.</exception>
    public Auxiliary(IEnumerable<(string Name, Module Module)> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        foreach (var (name, layer) in layers)
        {
            this.layers.Add(RegisterModule(name, layer));
            names.Add(name);
        }

        if (this.layers.Count == 0)
        {
            throw new ArgumentException("Auxiliary: the head needs at least one layer", nameof(layers));
        }
    }

    /// <summary>The head's output of the last forward in training mode; null after a forward in evaluation mode or before any.</summary>
    public Tensor? Output { get; private set; }

    /// <summary>The head's layers, in order.</summary>
    public IReadOnlyList<Module> Layers => layers;

    /// <summary>Returns <paramref name="input"/> unchanged; in training mode runs the head on it first (see <see cref="Output"/>).</summary>
    public override Tensor Forward(Tensor input)
    {
        Output = IsTraining ? Head(input) : null;
        return input;
    }

    /// <summary>Runs the head on <paramref name="input"/> whatever the mode (to look at it in evaluation mode).</summary>
    public Tensor Head(Tensor input)
    {
        var x = input;
        for (int i = 0; i < layers.Count; i++)
        {
            try
            {
                using var group = Trace.Group($"{names[i]}: {layers[i].TypeName}");
                x = layers[i].Forward(x);
            }
            catch (ArgumentException e) when (!e.Message.StartsWith("Auxiliary", StringComparison.Ordinal))
            {
                throw new ArgumentException($"Auxiliary layer {names[i]} ({layers[i].TypeName}): {e.Message}", e);
            }
        }

        return x;
    }

    /// <summary>The main path's shape: the input's.</summary>
    public override Shape OutputShape(Shape input) => input;

    /// <summary>
    /// The auxiliary outputs of <paramref name="model"/>'s last forward, with the head's module path (<c>aux1</c>), in
    /// the order the heads are registered; empty after a forward in evaluation mode.
    /// </summary>
    public static IReadOnlyList<(string Path, Tensor Output)> OutputsOf(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return [.. model.NamedModules().Where(m => m.Module is Auxiliary { Output: not null })
            .Select(m => (m.Name, ((Auxiliary)m.Module).Output!))];
    }

    /// <inheritdoc/>
    protected override void OnModuleReplaced(string name, Module module) => layers[names.IndexOf(name)] = module;
}
