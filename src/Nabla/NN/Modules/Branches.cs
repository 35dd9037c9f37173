namespace Nabla.NN;

/// <summary>
/// Named parallel branches on the same input, joined by element-wise addition (<c>"add"</c>, a residual
/// connection) or by concatenation along a dimension (<c>"concat"</c>, an Inception module).
/// </summary>
/// <remarks>
/// The model file's <c>Branches</c> block. Each branch is registered under its name, so parameters read
/// <c>branch1.0.weight</c>; an empty <see cref="Sequential"/> branch is the identity. With "add" all branch outputs
/// must have the same shape; with "concat" they must agree on every dimension except <see cref="Dim"/>.
/// </remarks>
public sealed class Branches : Module
{
    private readonly List<Module> branches = [];

    /// <summary>Creates the block from (name, module) pairs.</summary>
    public Branches(string join, IEnumerable<(string Name, Module Module)> branches, int dim = 1)
    {
        if (join is not ("add" or "concat"))
        {
            throw new ArgumentException($"Branches: join must be 'add' or 'concat', got '{join}'", nameof(join));
        }

        (Join, Dim) = (join, dim);
        foreach (var (name, module) in branches)
        {
            this.branches.Add(RegisterModule(name, module));
        }

        if (this.branches.Count == 0)
        {
            throw new ArgumentException("Branches: at least one branch is needed", nameof(branches));
        }
    }

    /// <summary>"add" or "concat".</summary>
    public string Join { get; }

    /// <summary>The concatenation dimension (of the batched tensor; 1 = channels).</summary>
    public int Dim { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var outs = branches.Select(b => b.Forward(input)).ToArray();
        CheckShapes(outs.Select(o => o.Shape).ToArray());
        if (Join == "concat")
        {
            return Tensor.Cat(outs, Dim);
        }

        var y = outs[0];
        for (int i = 1; i < outs.Length; i++)
        {
            y += outs[i];
        }

        return y;
    }

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input)
    {
        var shapes = branches.Select(b => b.OutputShape(input)).ToArray();
        CheckShapes(shapes);
        return Join == "add" ? shapes[0] : shapes[0].With(Dim, shapes.Sum(s => s[Dim]));
    }

    /// <inheritdoc/>
    public override string ExtraRepr() => $"join='{Join}'" + (Join == "concat" ? $", dim={Dim}" : string.Empty);

    /// <inheritdoc/>
    protected override void OnModuleReplaced(string name, Module module)
    {
        int i = NamedChildren().Select(c => c.Name).ToList().IndexOf(name);
        branches[i] = module;
    }

    private void CheckShapes(Shape[] shapes)
    {
        var names = NamedChildren().Select(c => c.Name).ToArray();
        for (int i = 1; i < shapes.Length; i++)
        {
            bool ok = Join == "add"
                ? shapes[i] == shapes[0]
                : shapes[i].Rank == shapes[0].Rank && Enumerable.Range(0, shapes[0].Rank).All(d => d == shapes[0].NormalizeDim(Dim) || shapes[i][d] == shapes[0][d]);
            if (!ok)
            {
                throw new ArgumentException($"Branches ({Join}): branch '{names[i]}' gives {shapes[i]} but branch '{names[0]}' gives {shapes[0]}");
            }
        }
    }
}
