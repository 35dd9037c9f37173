namespace Nabla.NN;

/// <summary>
/// Data-parallel training across processes (PyTorch's <c>torch.nn.parallel.DistributedDataParallel</c>): every
/// process holds a replica of <see cref="Module"/>, runs it on its own share of the global batch, and after
/// backward every replica holds the gradient averaged over all processes, so the optimizer steps stay identical.
/// </summary>
/// <remarks>
/// <para><b>Construction</b> broadcasts rank 0's parameters and buffers, so every replica starts alike.</para>
/// <para><b>Backward.</b> The parameters are grouped into buckets of about <c>bucketCapMb</c> (PyTorch's 25 MB), in
/// reverse registration order (roughly the order backward produces their gradients). A post-accumulate-grad hook on
/// each parameter marks its gradient ready; once every gradient of a bucket is ready, the bucket's gradients are
/// copied into one flat buffer and its sum over the processes is started, non-blocking (<c>MPI_Iallreduce</c>),
/// while backward goes on. Buckets start in order on every process, as MPI requires. At the end of backward the
/// remaining buckets start, all are waited for, and each gradient becomes ḡ = (1/N)·Σᵣ gᵣ. With a mean loss over a
/// local batch of B/N samples, ḡ is the gradient of the mean loss over the global batch B.</para>
/// <para><b>Unused parameters</b> (no gradient in this backward on this process) contribute their current gradient,
/// or zeros; each bucket also sums one "has a gradient" flag per parameter, and a parameter that has none on any
/// process keeps a null gradient. Parameters used on some processes only are fine unless a
/// <see cref="SyncBatchNorm"/> also communicates during backward (then the collectives could start in different orders).</para>
/// <para><see cref="NoSync"/> skips the communication for gradient accumulation: gradients add up locally and the
/// next backward outside the scope averages the sum.</para>
/// <para><b>Buffers.</b> With <c>broadcastBuffers</c> (the default), each training forward first copies rank 0's
/// buffers (batch-norm running statistics) to every process, as PyTorch does.</para>
/// </remarks>
public sealed class DistributedDataParallel : Module, IDisposable
{
    private readonly List<IDisposable> hooks = [];
    private readonly List<Bucket> buckets = [];
    private readonly Dictionary<Tensor, (Bucket Bucket, int Slot)> slots = new(ReferenceEqualityComparer.Instance);
    private readonly bool broadcastBuffers;
    private int nextBucket;
    private bool inBackward;
    private int noSyncDepth;

    /// <summary>Wraps <paramref name="module"/> and broadcasts rank 0's parameters and buffers to every process.</summary>
    /// <param name="module">The replica on this process (its parameters must be contiguous).</param>
    /// <param name="bucketCapMb">The size of a gradient bucket in MiB (PyTorch's <c>bucket_cap_mb</c>, 25).</param>
    /// <param name="broadcastBuffers">Copy rank 0's buffers to all processes at each training forward.</param>
    /// <exception cref="InvalidOperationException"><see cref="Distributed.Init"/> has not run, or the replicas differ.</exception>
    public DistributedDataParallel(Module module, double bucketCapMb = 25, bool broadcastBuffers = true)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bucketCapMb);
        Distributed.RequireInit();
        Module = RegisterModule("module", module);
        this.broadcastBuffers = broadcastBuffers;
        var parameters = module.Parameters().Where(p => p.RequiresGrad).ToList();
        CheckReplicasAlike(module);
        using (GradMode.NoGrad())
        {
            foreach (var t in module.Parameters().Concat(module.Buffers()))
            {
                Distributed.Broadcast(t, 0);
            }
        }

        BuildBuckets(parameters, (long)(bucketCapMb * 1024 * 1024));
        foreach (var p in parameters)
        {
            hooks.Add(p.RegisterPostAccumulateGradHook(OnGradReady));
        }
    }

    /// <summary>The wrapped replica (PyTorch's <c>ddp.module</c>): save its state dict to get names without <c>module.</c>.</summary>
    public Module Module { get; }

    /// <summary>The buckets' parameter counts, first bucket first (for inspection and tests).</summary>
    public IReadOnlyList<int> BucketSizes => buckets.Select(b => b.Params.Length).ToList();

    /// <summary>Whether the next backward averages gradients (false inside <see cref="NoSync"/>).</summary>
    public bool RequireGradSync => noSyncDepth == 0;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        if (broadcastBuffers && IsTraining && Distributed.WorldSize > 1)
        {
            using (GradMode.NoGrad())
            {
                foreach (var b in Module.Buffers())
                {
                    Distributed.Broadcast(b, 0);
                }
            }
        }

        return Module.Forward(input);
    }

    /// <summary>Removes the gradient hooks: later backward passes no longer communicate (the replica stays as it is).</summary>
    public void Dispose()
    {
        foreach (var h in hooks)
        {
            h.Dispose();
        }

        hooks.Clear();
    }

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input) => Module.OutputShape(input);

    /// <summary>
    /// A scope in which backward passes do not communicate (PyTorch's <c>no_sync()</c>): gradients accumulate locally
    /// and are averaged by the first backward after the scope ends.
    /// </summary>
    public IDisposable NoSync()
    {
        noSyncDepth++;
        return new Scope(this);
    }

    private void OnGradReady(Tensor parameter)
    {
        if (!RequireGradSync || !slots.TryGetValue(parameter, out var at))
        {
            return;
        }

        if (!inBackward)
        {
            inBackward = true;
            Autograd.QueueCallback(FinishBackward);
        }

        at.Bucket.Ready[at.Slot] = true;
        at.Bucket.ReadyCount++;
        while (nextBucket < buckets.Count && buckets[nextBucket].ReadyCount == buckets[nextBucket].Params.Length)
        {
            buckets[nextBucket++].Launch();
        }

        foreach (var b in buckets.Take(nextBucket))
        {
            b.Work?.Test(); // lets MPI progress the buckets in flight
        }
    }

    /// <summary>End of backward: start the buckets with unused parameters, wait for all, write the averages back.</summary>
    private void FinishBackward()
    {
        while (nextBucket < buckets.Count)
        {
            buckets[nextBucket++].Launch();
        }

        foreach (var b in buckets)
        {
            b.Finish();
        }

        (nextBucket, inBackward) = (0, false);
    }

    private void BuildBuckets(List<Tensor> parameters, long capBytes)
    {
        var current = new List<Tensor>();
        long bytes = 0;
        void Close()
        {
            if (current.Count > 0)
            {
                var bucket = new Bucket([.. current]);
                for (int i = 0; i < bucket.Params.Length; i++)
                {
                    slots[bucket.Params[i]] = (bucket, i);
                }

                buckets.Add(bucket);
                (current, bytes) = ([], 0);
            }
        }

        for (int i = parameters.Count - 1; i >= 0; i--)
        {
            var p = parameters[i];
            long size = p.Numel * p.DType.ElementSize();
            if (current.Count > 0 && (bytes + size > capBytes || current[0].DType != p.DType))
            {
                Close();
            }

            current.Add(p);
            bytes += size;
        }

        Close();
    }

    /// <summary>Fails early, and clearly, when the processes build different models.</summary>
    private static void CheckReplicasAlike(Module module)
    {
        var all = module.Parameters().Concat(module.Buffers()).ToList();
        var mine = Tensor.FromArray(new[] { all.Count, all.Sum(t => t.Numel), all.Sum(t => (long)t.Rank * 31 + (int)t.DType) });
        var every = Distributed.AllGather(mine);
        for (int r = 0; r < Distributed.WorldSize; r++)
        {
            for (int k = 0; k < 3; k++)
            {
                if (every[r, k].Item() != mine[k].Item())
                {
                    throw new InvalidOperationException(
                        $"DistributedDataParallel: rank {r}'s model differs from rank {Distributed.Rank}'s ({(long)every[r, 0].Item()} tensors, {(long)every[r, 1].Item()} elements against {all.Count}, {all.Sum(t => t.Numel)}): every process must build the same model");
                }
            }
        }
    }

    private sealed class Scope(DistributedDataParallel owner) : IDisposable
    {
        private bool disposed;

        public void Dispose()
        {
            if (!disposed)
            {
                disposed = true;
                owner.noSyncDepth--;
            }
        }
    }

    /// <summary>Parameters of one dtype whose gradients travel together: [g₀ … gₖ, flag₀ … flagₖ] in one flat buffer.</summary>
    private sealed class Bucket
    {
        private readonly Tensor buffer;
        private readonly int[] offsets;

        public Bucket(Tensor[] parameters)
        {
            Params = parameters;
            Ready = new bool[parameters.Length];
            offsets = new int[parameters.Length + 1];
            for (int i = 0; i < parameters.Length; i++)
            {
                offsets[i + 1] = offsets[i] + (int)parameters[i].Numel;
            }

            buffer = Tensor.Zeros(new Shape(offsets[^1] + parameters.Length), parameters[0].DType);
        }

        public Tensor[] Params { get; }

        public bool[] Ready { get; }

        public int ReadyCount { get; set; }

        public Work? Work { get; private set; }

        /// <summary>Copies the gradients (zeros where none) and the flags into the buffer and starts the sum.</summary>
        public void Launch()
        {
            using (GradMode.NoGrad())
            {
                for (int i = 0; i < Params.Length; i++)
                {
                    var slice = buffer.Narrow(0, offsets[i], offsets[i + 1] - offsets[i]);
                    var g = Params[i].Grad;
                    if (g is null)
                    {
                        slice.ZeroInPlace();
                    }
                    else
                    {
                        slice.CopyInPlace(g.Reshape(-1));
                    }

                    buffer.Narrow(0, offsets[^1] + i, 1).FillInPlace(g is null ? 0 : 1);
                }
            }

            Work = Distributed.AllReduceAsync(buffer, ReduceOp.Sum);
        }

        /// <summary>Waits for the sum and sets each gradient to the mean (left null where no process had one).</summary>
        public void Finish()
        {
            Work!.Wait();
            using (GradMode.NoGrad())
            {
                for (int i = 0; i < Params.Length; i++)
                {
                    if (buffer.Narrow(0, offsets[^1] + i, 1).Item() == 0)
                    {
                        continue;
                    }

                    var p = Params[i];
                    var mean = buffer.Narrow(0, offsets[i], offsets[i + 1] - offsets[i]).Reshape(p.Shape) * (1.0 / Distributed.WorldSize);
                    if (p.Grad is null)
                    {
                        p.Grad = mean;
                    }
                    else
                    {
                        p.Grad.CopyInPlace(mean);
                    }
                }
            }

            Array.Clear(Ready);
            (ReadyCount, Work) = (0, null);
        }
    }
}
