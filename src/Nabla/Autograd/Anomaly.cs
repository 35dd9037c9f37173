using System.Globalization;
using System.Numerics;
using System.Numerics.Tensors;
using Nabla.Formats;

namespace Nabla;

public static partial class Autograd
{
    /// <summary>True when anomaly detection (<see cref="DetectAnomaly"/>) is on for this thread.</summary>
    public static bool IsAnomalyEnabled => Anomaly.Active is not null;

    /// <summary>
    /// Anomaly detection (<c>torch.autograd.detect_anomaly</c>) until the returned scope is disposed, on this thread:
    /// every op's output is checked in the forward pass and every backward rule's gradients in the backward pass, and
    /// the first op that turns finite values into NaN or ±∞ throws an <see cref="AnomalyException"/> naming it, the
    /// enclosing layers and composite ops (<see cref="Trace.Group"/>), and its inputs.
    /// </summary>
    /// <remarks>
    /// Off, it costs one thread-local check per op. On, it reads every op's output once (a vectorised scan), so a
    /// step runs some tens of percent slower; use it to find a NaN, not for every run. The check blames only an op whose
    /// inputs (for a backward rule: the incoming gradient and the op's inputs) are all finite: the op that made the
    /// first non-finite value, not the ones it spread to.
    /// </remarks>
    /// <param name="names">
    /// Names for tensors that have none of their own (<see cref="Tensor.Name"/>), typically a model's
    /// <c>NamedParameters()</c>: a parameter named <c>conv1.weight</c> among an op's inputs makes <c>conv1</c> its layer.
    /// </param>
    /// <example><code>
    /// using (Autograd.DetectAnomaly(model.NamedParameters()))
    /// {
    ///     var loss = F.CrossEntropy(model.Forward(x), y);   // throws AnomalyException at the first op that makes a NaN
    ///     loss.Backward();                                  // ... or at the first backward rule that does
    /// }
    /// </code></example>
    public static IDisposable DetectAnomaly(IEnumerable<(string Name, Tensor Tensor)>? names = null) => new Anomaly(names);
}

/// <summary>Thrown under <see cref="Autograd.DetectAnomaly"/> by the first op that makes a NaN or ±∞ from finite values.</summary>
public sealed class AnomalyException : ArithmeticException
{
    internal AnomalyException(TracePhase phase, string op, string? layer, IReadOnlyList<string> groups, IReadOnlyList<string> inputs,
        string detail)
        : base(Describe(phase, op, layer, groups, inputs, detail))
    {
        (Phase, Op, Layer, Groups, Inputs) = (phase, op, layer, groups, inputs);
    }

    /// <summary>Forward (an op's output) or backward (a gradient from an op's backward rule).</summary>
    public TracePhase Phase { get; }

    /// <summary>The op's name (<c>log</c>, <c>conv2d</c>, ...).</summary>
    public string Op { get; }

    /// <summary>The module path of the layer whose parameter the op read (<c>conv1</c>, <c>0</c>), or null when none did.</summary>
    public string? Layer { get; }

    /// <summary>The enclosing groups when the op ran forward, outermost first (<c>["0: Conv2d"]</c>, <c>["cross_entropy", "log_softmax"]</c>).</summary>
    public IReadOnlyList<string> Groups { get; }

    /// <summary>The names of the op's named inputs (parameters or <see cref="Tensor.Named"/> tensors).</summary>
    public IReadOnlyList<string> Inputs { get; }

    private static string Describe(TracePhase phase, string op, string? layer, IReadOnlyList<string> groups, IReadOnlyList<string> inputs, string detail)
    {
        var context = new List<string>();
        if (groups.Count > 0)
        {
            context.Add($"inside {string.Join(" > ", groups)}");
        }

        if (inputs.Count > 0)
        {
            context.Add($"inputs {string.Join(", ", inputs)}");
        }

        string where = (layer is null ? "" : $" in layer {layer}") + (context.Count == 0 ? "" : $" ({string.Join("; ", context)})");
        return phase == TracePhase.Forward
            ? $"anomaly: op '{op}'{where} produced {detail} from finite inputs"
            : $"anomaly: the backward of op '{op}'{where} produced {detail} from finite values";
    }
}

/// <summary>The state of an anomaly-detection scope and the checks the op bases and the engine call.</summary>
internal sealed class Anomaly : IDisposable
{
    [ThreadStatic]
    private static Anomaly? active;

    private static readonly IDisposable Off = new Restore(null);

    private readonly Dictionary<Tensor, string> names = new(ReferenceEqualityComparer.Instance);
    private readonly List<string> groups = [];
    private readonly Anomaly? previous;
    private bool disposed;

    internal Anomaly(IEnumerable<(string Name, Tensor Tensor)>? names)
    {
        foreach (var (name, t) in names ?? [])
        {
            this.names.TryAdd(t, name);
        }

        previous = active;
        active = this;
    }

    /// <summary>The scope on this thread, or null (the one check ops pay when detection is off).</summary>
    internal static Anomaly? Active => active;

    public void Dispose()
    {
        if (!disposed)
        {
            disposed = true;
            active = previous;
        }
    }

    /// <summary>Turns detection off until the returned scope is disposed (for the checks' own ops).</summary>
    internal static IDisposable Suspend()
    {
        if (active is not { } saved)
        {
            return Off;
        }

        active = null;
        return new Restore(saved);
    }

    /// <summary>Enters a group (a layer or composite op, from <see cref="Trace.Group"/>); dispose to leave it.</summary>
    internal IDisposable Enter(string name)
    {
        groups.Add(name);
        return new Leave(groups);
    }

    /// <summary>Where an op runs: its groups, its layer and its named inputs (kept on the node for the backward check).</summary>
    internal OpSite Site(Tensor[] inputs)
    {
        var named = new List<string>();
        string? layer = null;
        foreach (var x in inputs)
        {
            if ((x.Name ?? names.GetValueOrDefault(x)) is { } n)
            {
                named.Add(n);
                if (layer is null && names.ContainsKey(x))
                {
                    int dot = n.LastIndexOf('.');
                    layer = dot > 0 ? n[..dot] : n;
                }
            }
        }

        return new OpSite(groups.ToArray(), layer, named);
    }

    /// <summary>Throws when <paramref name="output"/> holds a non-finite value while every input is finite.</summary>
    internal void CheckForward(string op, Tensor[] inputs, Tensor output)
    {
        if (NonFinite.First(output) is not { } bad || !inputs.All(NonFinite.AllFinite))
        {
            return;
        }

        var site = Site(inputs);
        throw new AnomalyException(TracePhase.Forward, op, site.Layer, site.Groups, site.Inputs, Detail(bad, output.Shape));
    }

    /// <summary>Throws when a backward rule made a non-finite gradient from a finite incoming gradient and finite inputs.</summary>
    internal void CheckBackward(Node node, Tensor dy, Tensor?[] grads)
    {
        for (int i = 0; i < grads.Length; i++)
        {
            if (grads[i] is not { } g || NonFinite.First(g) is not { } bad)
            {
                continue;
            }

            if (!NonFinite.AllFinite(dy) || node.Inputs.Any(x => x is not null && !NonFinite.AllFinite(x)))
            {
                return; // a NaN that came in, not one made here
            }

            var site = node.Site ?? new OpSite([], null, []);
            var x = node.Inputs[i]!;
            string input = (x.Name ?? names.GetValueOrDefault(x)) is { } n ? $" (the gradient of {n})" : $" (the gradient of input {i})";
            throw new AnomalyException(TracePhase.Backward, node.Name, site.Layer, site.Groups, site.Inputs, Detail(bad, g.Shape) + input);
        }
    }

    private static string Detail((long Index, double Value) bad, Shape shape) =>
        string.Create(CultureInfo.InvariantCulture, $"{bad.Value} at element {bad.Index} of a {shape} tensor");

    private sealed class Restore(Anomaly? saved) : IDisposable
    {
        public void Dispose() => active = saved;
    }

    private sealed class Leave(List<string> groups) : IDisposable
    {
        private bool done;

        public void Dispose()
        {
            if (!done)
            {
                groups.RemoveAt(groups.Count - 1);
                done = true;
            }
        }
    }
}

/// <summary>Where an op ran, recorded under anomaly detection for its backward rule's check.</summary>
internal sealed record OpSite(IReadOnlyList<string> Groups, string? Layer, IReadOnlyList<string> Inputs);

/// <summary>Finds NaN and ±∞ in float tensors (a vectorised scan; integer and bool tensors are always finite).</summary>
public static class NonFinite
{
    /// <summary>True when every element is finite (always for integer and bool tensors).</summary>
    public static bool AllFinite(Tensor t) => First(t) is null;

    /// <summary>The first named tensor holding a NaN or ±∞ (a model's <c>NamedParameters()</c>, say), with the element; or null.</summary>
    public static (string Name, long Index, double Value)? First(IEnumerable<(string Name, Tensor Tensor)> tensors)
    {
        foreach (var (name, t) in tensors)
        {
            if (First(t) is { } bad)
            {
                return (name, bad.Index, bad.Value);
            }
        }

        return null;
    }

    /// <summary>The row-major index and value of the first NaN or ±∞ element, or null when all are finite.</summary>
    public static (long Index, double Value)? First(Tensor t)
    {
        if (!t.DType.IsFloatingPoint() || t.Numel == 0)
        {
            return null;
        }

        if (!t.IsContiguous)
        {
            // The copy is an op itself: keep it out of the graph, the trace and the anomaly check.
            using var noGrad = GradMode.NoGrad();
            using var pause = Trace.Pause();
            using var off = Anomaly.Suspend();
            t = t.Contiguous();
        }

        return t.DType == DType.Float32 ? Scan(t.Span<float>()) : Scan(t.Span<double>());
    }

    private static (long, double)? Scan<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (TensorPrimitives.IsFiniteAll(x))
        {
            return null;
        }

        for (int i = 0; i < x.Length; i++)
        {
            if (!T.IsFinite(x[i]))
            {
                return (i, double.CreateTruncating(x[i]));
            }
        }

        return null;
    }
}
