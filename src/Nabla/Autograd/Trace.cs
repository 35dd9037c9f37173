using System.Runtime.CompilerServices;

namespace Nabla;

/// <summary>Whether a traced step ran in the forward pass or the backward pass.</summary>
public enum TracePhase
{
    /// <summary>Computing values.</summary>
    Forward,

    /// <summary>Computing gradients (a chain-rule step).</summary>
    Backward,
}

/// <summary>A tensor as it appears in a trace: its label, shape and (for small tensors) its values.</summary>
/// <param name="Label">The user's name (<see cref="Tensor.Named"/>) or an automatic one (<c>t7</c>).</param>
/// <param name="Shape">The shape.</param>
/// <param name="DType">The element type.</param>
/// <param name="Values">The elements in row-major order, or null when the tensor is larger than the trace's limit.</param>
public sealed record TracedTensor(string Label, Shape Shape, DType DType, IReadOnlyList<double>? Values);

/// <summary>One recorded operation: what ran, on what, with which formula, and what came out.</summary>
/// <param name="Index">Position in the trace, from 0.</param>
/// <param name="Phase">Forward or backward.</param>
/// <param name="Op">The primitive's name (<c>mul</c>, <c>matmul</c>).</param>
/// <param name="Formula">The forward formula, or for a backward step the chain-rule factor.</param>
/// <param name="Inputs">The inputs (for a backward step: the incoming gradient first, then the op's inputs).</param>
/// <param name="Outputs">The output (for a backward step: one gradient per input that needs one).</param>
/// <param name="Groups">The enclosing composite operations and layers, outermost first (<c>["1: Linear", "linear"]</c>).</param>
public sealed record TraceStep(int Index, TracePhase Phase, string Op, string Formula,
    IReadOnlyList<TracedTensor> Inputs, IReadOnlyList<TracedTensor> Outputs, IReadOnlyList<string> Groups);

/// <summary>
/// Records what the engine actually does, op by op, for "show your work" explanations: the same code path
/// runs with and without a trace (the op bases report to the active trace), so an explanation cannot drift
/// from what ran. Capture is per thread.
/// </summary>
/// <example><code>
/// using var trace = Trace.Capture();
/// var y = (x * w).Sum();
/// y.Backward();
/// foreach (var step in trace.Steps) Console.WriteLine($"{step.Phase} {step.Op}: {step.Formula}");
/// </code></example>
public sealed class Trace : IDisposable
{
    [ThreadStatic]
    private static Trace? active;

    private static readonly IDisposable NoScope = new Scope(null);

    private readonly List<TraceStep> steps = [];
    private readonly List<string> groups = [];
    private readonly ConditionalWeakTable<Tensor, string> labels = [];
    private readonly Trace? previous;
    private readonly int maxValues;
    private int nextLabel;
    private bool disposed;

    private Trace(int maxValues)
    {
        this.maxValues = maxValues;
        previous = active;
        active = this;
    }

    /// <summary>The recorded steps, in execution order.</summary>
    public IReadOnlyList<TraceStep> Steps => steps;

    /// <summary>True when a trace is capturing on this thread.</summary>
    public static bool IsActive => active is not null;

    /// <summary>Starts capturing on this thread until the trace is disposed.</summary>
    /// <param name="maxValues">Tensors with more elements are recorded by shape only.</param>
    public static Trace Capture(int maxValues = 64) => new(maxValues);

    /// <summary>
    /// Marks the steps run inside the returned scope as one named group (a composite op or a layer);
    /// a no-op when neither a trace nor anomaly detection is active.
    /// </summary>
    /// <remarks>Anomaly detection (<see cref="Autograd.DetectAnomaly"/>) keeps the same groups, to say where a NaN was made.</remarks>
    public static IDisposable Group(string name)
    {
        if (Anomaly.Active is { } anomaly)
        {
            return new Both(anomaly.Enter(name), active is { } traced ? Enter(traced, name) : NoScope);
        }

        return active is { } t ? Enter(t, name) : NoScope;
    }

    private static Scope Enter(Trace t, string name)
    {
        t.groups.Add(name);
        return new Scope(t);
    }

    /// <summary>The label this trace uses for <paramref name="tensor"/> (its name, or <c>t</c> + a number).</summary>
    public string LabelOf(Tensor tensor) => tensor.Name ?? labels.GetValue(tensor, _ => $"t{++nextLabel}");

    /// <summary>Stops capturing (restoring any enclosing trace).</summary>
    public void Dispose()
    {
        if (!disposed)
        {
            disposed = true;
            active = previous;
        }
    }

    /// <summary>Suspends recording (for the ops inside a backward rule, which appear as one backward step).</summary>
    internal static IDisposable Pause()
    {
        if (active is not { } t)
        {
            return NoScope;
        }

        active = null;
        return new Resume(t);
    }

    internal static void OnForward(string op, string formula, Tensor[] inputs, Tensor output) =>
        active?.Add(TracePhase.Forward, op, formula, inputs, [output]);

    internal static void OnBackward(Node node, Tensor dy, Tensor?[] grads)
    {
        if (active is not { } t)
        {
            return;
        }

        var inputs = new List<Tensor> { dy };
        var outputs = new List<Tensor>();
        for (int i = 0; i < node.Inputs.Length; i++)
        {
            if (node.Inputs[i] is { } x && grads[i] is { } g)
            {
                inputs.Add(x);
                outputs.Add(g);
                t.labels.AddOrUpdate(g, $"d{t.LabelOf(x)}");
            }
        }

        t.Add(TracePhase.Backward, node.Name, node.GradFormula, [.. inputs], [.. outputs]);
    }

    private void Add(TracePhase phase, string op, string formula, Tensor[] inputs, Tensor[] outputs)
    {
        // Reading values runs ops itself (a contiguous copy): pause the capture meanwhile.
        active = null;
        try
        {
            steps.Add(new TraceStep(steps.Count, phase, op, formula, inputs.Select(Describe).ToArray(), outputs.Select(Describe).ToArray(), groups.ToArray()));
        }
        finally
        {
            active = this;
        }
    }

    private TracedTensor Describe(Tensor t) =>
        new(LabelOf(t), t.Shape, t.DType, t.Numel <= maxValues ? t.ToDoubleArray() : null);

    private sealed class Both(IDisposable first, IDisposable second) : IDisposable
    {
        public void Dispose()
        {
            second.Dispose();
            first.Dispose();
        }
    }

    private sealed class Resume(Trace trace) : IDisposable
    {
        public void Dispose() => active = trace;
    }

    private sealed class Scope(Trace? trace) : IDisposable
    {
        private bool done;

        public void Dispose()
        {
            if (!done && trace is not null)
            {
                trace.groups.RemoveAt(trace.groups.Count - 1);
            }

            done = true;
        }
    }
}
