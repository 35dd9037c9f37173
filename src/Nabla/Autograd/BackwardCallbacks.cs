namespace Nabla;

public static partial class Autograd
{
    [ThreadStatic]
    private static List<Action>? queued;

    /// <summary>
    /// Queues <paramref name="callback"/> to run once the current <see cref="Tensor.Backward"/> pass has finished and
    /// every gradient is in place (PyTorch's <c>Variable._execution_engine.queue_callback</c>). Call it from a hook
    /// (<see cref="Tensor.RegisterPostAccumulateGradHook"/>) during the pass; the callbacks run in the order queued.
    /// </summary>
    /// <exception cref="InvalidOperationException">No backward pass is running on this thread.</exception>
    public static void QueueCallback(Action callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        (queued ?? throw new InvalidOperationException("QueueCallback: no backward pass is running on this thread")).Add(callback);
    }

    /// <summary>Opens the callback queue of one backward pass (nested passes get their own).</summary>
    internal static CallbackScope BeginCallbacks()
    {
        var outer = queued;
        queued = [];
        return new CallbackScope(outer);
    }

    /// <summary>The queue of one backward pass: <see cref="Run"/> after the pass, <see cref="Dispose"/> restores the outer queue.</summary>
    internal readonly struct CallbackScope(List<Action>? outer) : IDisposable
    {
        /// <summary>Runs the queued callbacks, including those that callbacks queue.</summary>
        public void Run()
        {
            var list = queued!;
            for (int i = 0; i < list.Count; i++)
            {
                list[i]();
            }
        }

        public void Dispose() => queued = outer;
    }
}
