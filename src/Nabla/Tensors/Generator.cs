namespace Nabla;

/// <summary>A seeded pseudo-random generator (xoshiro256**), the analogue of <c>torch.Generator</c>.</summary>
/// <remarks>
/// Nabla uses its own generator because <see cref="Random"/>'s seeded sequence is not a documented
/// contract across .NET versions: reproducible experiments and golden tests need a sequence we control.
/// The state is seeded from a 64-bit seed by SplitMix64, as the xoshiro authors recommend.
/// </remarks>
public sealed class Generator
{
    private ulong s0, s1, s2, s3;
    private double? spareNormal;

    /// <summary>Creates a generator from a seed.</summary>
    public Generator(long seed = 0) => ManualSeed(seed);

    // The generator a Use scope lent to this thread (and the tasks it starts); null outside any scope.
    private static readonly AsyncLocal<Generator?> Lent = new();

    /// <summary>The process-wide generator (<c>torch.default_generator</c>; seed it with <see cref="ManualSeed"/>).</summary>
    public static Generator Default { get; } = new(0);

    /// <summary>
    /// The generator used where none is passed: the one a <see cref="Use"/> scope lent to this thread, else <see cref="Default"/>.
    /// </summary>
    public static Generator Current => Lent.Value ?? Default;

    /// <summary>
    /// Makes <paramref name="generator"/> the one used where none is passed (layer initialisation, <c>Tensor.Rand</c>,
    /// dropout), on this thread and the tasks it starts, until the returned scope is disposed. Other threads keep theirs:
    /// unlike re-seeding <see cref="Default"/> and restoring it afterwards, two threads building seeded models at once
    /// cannot draw from each other's sequence.
    /// </summary>
    /// <returns>A scope that gives back the generator used before it.</returns>
    public static IDisposable Use(Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var scope = new LentScope(Lent.Value);
        Lent.Value = generator;
        return scope;
    }

    /// <summary>Re-seeds this generator (<c>torch.manual_seed</c> on the default one).</summary>
    public Generator ManualSeed(long seed)
    {
        ulong x = unchecked((ulong)seed);
        s0 = SplitMix(ref x);
        s1 = SplitMix(ref x);
        s2 = SplitMix(ref x);
        s3 = SplitMix(ref x);
        spareNormal = null;
        return this;
    }

    /// <summary>The full state (four xoshiro words, then a flag and the bits of a cached normal sample), for checkpoints.</summary>
    public ulong[] GetState() =>
        [s0, s1, s2, s3, spareNormal.HasValue ? 1UL : 0UL, spareNormal is double d ? BitConverter.DoubleToUInt64Bits(d) : 0UL];

    /// <summary>Restores a state returned by <see cref="GetState"/>, so the sequence continues exactly.</summary>
    public void SetState(IReadOnlyList<ulong> state)
    {
        if (state.Count != 6)
        {
            throw new ArgumentException($"a generator state has 6 words, got {state.Count}", nameof(state));
        }

        (s0, s1, s2, s3) = (state[0], state[1], state[2], state[3]);
        spareNormal = state[4] != 0 ? BitConverter.UInt64BitsToDouble(state[5]) : null;
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = RotL(s1 * 5, 7) * 9;
        ulong t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = RotL(s3, 45);
        return result;
    }

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform integer in [low, high).</summary>
    public long NextInt64(long low, long high)
    {
        if (high <= low)
        {
            throw new ArgumentException($"randint: high ({high}) must be greater than low ({low})", nameof(high));
        }

        ulong range = (ulong)(high - low);
        // Rejection sampling removes modulo bias.
        ulong limit = ulong.MaxValue - (ulong.MaxValue % range);
        ulong r;
        do
        {
            r = NextUInt64();
        }
        while (r >= limit);
        return low + (long)(r % range);
    }

    /// <summary>A standard normal sample (Box-Muller, both values of each pair used).</summary>
    public double NextNormal()
    {
        if (spareNormal is double s)
        {
            spareNormal = null;
            return s;
        }

        double u1;
        do
        {
            u1 = NextDouble();
        }
        while (u1 <= double.Epsilon);
        double u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        spareNormal = r * Math.Sin(2 * Math.PI * u2);
        return r * Math.Cos(2 * Math.PI * u2);
    }

    private static ulong RotL(ulong x, int k) => (x << k) | (x >> (64 - k));

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private sealed class LentScope(Generator? previous) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                Lent.Value = previous;
            }
        }
    }
}
