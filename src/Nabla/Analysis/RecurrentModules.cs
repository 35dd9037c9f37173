using System.Reflection;
using Nabla.NN;
using Module = Nabla.NN.Module;

namespace Nabla.Analysis;

/// <summary>
/// The bridge between recurrent specs (<c>RNN</c>, <c>LSTM</c>, <c>GRU</c>) and the recurrent modules
/// (issue 4). Analysis needs no module: parameters and MACs come from the arguments. Building and writing
/// back go through the modules' PyTorch-named constructor parameters and properties, found by reflection
/// so that this file does not depend on the recurrent layer's exact constructor overloads.
/// </summary>
internal static class RecurrentModules
{
    private static readonly string[] Names = ["RNN", "LSTM", "GRU"];

    /// <summary>Gate count G: the weight matrices stack G blocks of hiddenSize rows.</summary>
    public static int Gates(string type) => type switch { "LSTM" => 4, "GRU" => 3, _ => 1 };

    public static bool IsRecurrent(string type) => Names.Contains(type);

    public static Module Build(LayerSpec s)
    {
        var type = typeof(Module).Assembly.GetType($"Nabla.NN.{s.Type}")
            ?? throw new NotSupportedException($"{s.Type}{s.Where}: Nabla has no {s.Type} module yet, so the model cannot be built; its summary is still available");
        foreach (var ctor in type.GetConstructors().OrderByDescending(c => c.GetParameters().Length))
        {
            var ps = ctor.GetParameters();
            var args = new object?[ps.Length];
            bool ok = true;
            for (int i = 0; i < ps.Length && ok; i++)
            {
                var kindArg = LayerCatalog.Find(s.Type)!.Arg(ps[i].Name!);
                if (kindArg is not null)
                {
                    args[i] = Convert.ChangeType(s.Arg(ps[i].Name!), Nullable.GetUnderlyingType(ps[i].ParameterType) ?? ps[i].ParameterType, System.Globalization.CultureInfo.InvariantCulture);
                }
                else if (ps[i].HasDefaultValue)
                {
                    args[i] = ps[i].DefaultValue;
                }
                else
                {
                    ok = false;
                }
            }

            if (ok)
            {
                try
                {
                    return (Module)ctor.Invoke(args);
                }
                catch (System.Reflection.TargetInvocationException e) when (e.InnerException is ArgumentException inner)
                {
                    // The constructor refused an argument (a dropout of 2, a size of 0): its own message, not reflection's.
                    throw inner;
                }
            }
        }

        throw new NotSupportedException($"{s.Type}{s.Where}: no constructor of {type.Name} takes PyTorch-named arguments (inputSize, hiddenSize, …)");
    }

    /// <summary>The spec of a recurrent module, read from its PyTorch-named properties, or null for other modules.</summary>
    public static LayerSpec? FromModule(Module m)
    {
        if (!Names.Contains(m.GetType().Name) || m.GetType().Namespace != "Nabla.NN")
        {
            return null;
        }

        var args = new Dictionary<string, object>();
        foreach (var def in LayerCatalog.Find(m.GetType().Name)!.Args)
        {
            var prop = m.GetType().GetProperty(char.ToUpperInvariant(def.Name[0]) + def.Name[1..], BindingFlags.Public | BindingFlags.Instance);
            object? v = prop?.GetValue(m);
            if (v is Tensor or null)
            {
                v = def.Name == "bias" ? m.NamedParameters(false).Any(p => p.Name.StartsWith("bias", StringComparison.Ordinal)) : null;
            }

            if (v is not null && !Equals(v, def.Default))
            {
                args[def.Name] = v is float f ? (double)f : v;
            }
        }

        return new LayerSpec(m.GetType().Name, args);
    }
}
