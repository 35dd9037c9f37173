using System.Collections.Concurrent;
using System.Reflection;
using Nabla.Formats;

namespace Nabla.NN;

/// <summary>
/// The one list of layer types: every <see cref="LayerDescriptor"/> in Nabla (found by reflection, so a new layer
/// is one class) and those added with <see cref="Register"/>. Model files, summaries, receptive fields and explain
/// read layers from here; <see cref="Build"/> and <see cref="Describe"/> are each other's inverse.
/// </summary>
public static class LayerRegistry
{
    private static readonly ConcurrentDictionary<string, LayerDescriptor> ByName = new();
    private static readonly ConcurrentDictionary<Type, LayerDescriptor> ByType = new();

    static LayerRegistry()
    {
        var found = typeof(LayerRegistry).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(LayerDescriptor)) && !t.IsAbstract && t.GetConstructor(Type.EmptyTypes) is not null)
            .OrderBy(t => t.FullName, StringComparer.Ordinal);
        foreach (var t in found)
        {
            Register((LayerDescriptor)Activator.CreateInstance(t)!);
        }
    }

    /// <summary>Every known layer type, by name, in name order.</summary>
    public static IReadOnlyList<LayerDescriptor> All => [.. ByName.Values.OrderBy(d => d.Name, StringComparer.Ordinal)];

    /// <summary>The names of every known layer type, in name order.</summary>
    public static IEnumerable<string> Names => All.Select(d => d.Name);

    /// <summary>Adds a layer type (for example one defined outside Nabla).</summary>
    /// <exception cref="ArgumentException">A layer type of that name or module class is already registered.</exception>
    public static void Register(LayerDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        if (!ByName.TryAdd(descriptor.Name, descriptor))
        {
            throw new ArgumentException($"a layer type named '{descriptor.Name}' is already registered", nameof(descriptor));
        }

        if (!ByType.TryAdd(descriptor.ModuleType, descriptor))
        {
            ByName.TryRemove(descriptor.Name, out _);
            throw new ArgumentException($"the module class {descriptor.ModuleType.Name} already has a descriptor ('{ByType[descriptor.ModuleType].Name}')", nameof(descriptor));
        }
    }

    /// <summary>The layer type named <paramref name="name"/> (exact PyTorch spelling), or null.</summary>
    public static LayerDescriptor? Find(string name) => ByName.GetValueOrDefault(name);

    /// <summary>The descriptor of <paramref name="module"/>'s exact class, or null.</summary>
    public static LayerDescriptor? For(Module module) => ByType.GetValueOrDefault(module.GetType());

    /// <summary>Builds the module a spec describes (allocating and initialising its parameters).</summary>
    /// <exception cref="ModelShapeException">The type is unknown, or an argument is missing, of the wrong kind, or refused by the module.</exception>
    public static Module Build(LayerSpec spec)
    {
        if (spec.Opaque is { } m)
        {
            return m;
        }

        var d = Find(spec.Type) ?? throw new ModelShapeException($"layer {spec.Type}{spec.Where}", $"unknown layer type{DidYouMean.Suggest(spec.Type, Names)}");
        try
        {
            return d.Build(spec);
        }
        catch (TargetInvocationException e) when (e.InnerException is ArgumentException inner)
        {
            throw Refused(spec, inner);
        }
        catch (ArgumentException e) when (e is not ModelShapeException { Layer.Length: > 0 })
        {
            throw Refused(spec, e);
        }
    }

    /// <summary>
    /// The spec tree of a built module (the inverse of <see cref="Build"/>); a module of a class no descriptor knows
    /// becomes an opaque spec, analysed through the module itself and refused by the model-file writer.
    /// </summary>
    public static LayerSpec Describe(Module module) =>
        For(module)?.Describe(module) ?? new LayerSpec(module.TypeName) { Opaque = module };

    // A module's constructor refused an argument the file gave (a negative size, p outside [0, 1]): its own words.
    private static ModelShapeException Refused(LayerSpec spec, ArgumentException e) =>
        new($"layer {spec.Type}{spec.Where}", e.Message.Split(" (Parameter")[0]);
}
