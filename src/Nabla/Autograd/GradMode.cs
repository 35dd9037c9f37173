namespace Nabla;

/// <summary>
/// Whether operations record the graph for autograd. Thread-local, like PyTorch's grad mode.
/// </summary>
/// <example><code>
/// using (GradMode.NoGrad())
/// {
///     var y = model.Forward(x);   // no graph is recorded
/// }
/// </code></example>
public static class GradMode
{
    [ThreadStatic]
    private static bool disabled;

    /// <summary>True when new operations record autograd nodes.</summary>
    public static bool IsEnabled => !disabled;

    /// <summary>A scope in which no graph is recorded (<c>torch.no_grad()</c>).</summary>
    public static IDisposable NoGrad() => Enable(false);

    /// <summary>A scope with grad mode set to <paramref name="enabled"/>; the previous mode is restored on dispose.</summary>
    public static IDisposable Enable(bool enabled)
    {
        var scope = new Scope(disabled);
        disabled = !enabled;
        return scope;
    }

    private sealed class Scope(bool previous) : IDisposable
    {
        private bool done;

        public void Dispose()
        {
            if (!done)
            {
                disabled = previous;
                done = true;
            }
        }
    }
}
