namespace Nabla.Formats;

/// <summary>
/// The bounds every reader checks before it allocates or recurses, so that a hostile file of a few bytes cannot ask
/// for gigabytes, overflow the stack or run for minutes. <see cref="MaxBytes"/> is the memory cap of one read
/// (default 2 GiB, or the environment variable <c>NABLA_MAX_READ_BYTES</c>); the depth limit is fixed.
/// </summary>
public static class ReadLimits
{
    /// <summary>The deepest nesting a YAML document, a JSON header or an expression may have.</summary>
    public const int MaxDepth = 256;

    /// <summary>The most a single decompressed stream may grow relative to its compressed size (gzip, PNG's zlib).</summary>
    public const int MaxCompressionRatio = 1100;

    private static readonly AsyncLocal<long?> Scoped = new();
    private static long global = FromEnvironment();

    /// <summary>
    /// The largest number of bytes one read may allocate (a tensor, an image, a decompressed stream): the innermost
    /// <see cref="Cap"/> of the current thread or async flow, else the process-wide value set here.
    /// </summary>
    public static long MaxBytes
    {
        get => Scoped.Value ?? global;
        set => global = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "the memory cap must be positive");
    }

    /// <summary>
    /// Caps reads at <paramref name="maxBytes"/> for the current thread or async flow until the result is disposed
    /// (a fuzzer or a server reading untrusted uploads), without changing the cap other threads see.
    /// </summary>
    public static IDisposable Cap(long maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        var previous = Scoped.Value;
        Scoped.Value = maxBytes;
        return new Restore(previous);
    }

    /// <summary>
    /// The number of elements of <paramref name="dims"/>, computed with overflow checks; an
    /// <see cref="InvalidFileException"/> when a dimension is negative or the count, times
    /// <paramref name="elementSize"/> bytes, passes <see cref="MaxBytes"/>.
    /// </summary>
    public static long ElementCount(IEnumerable<long> dims, int elementSize, string? file, string? position)
    {
        long count = 1;
        foreach (long d in dims)
        {
            if (d < 0)
            {
                throw new InvalidFileException(file, position, $"negative dimension {d}");
            }

            if (d != 0 && count > long.MaxValue / d)
            {
                throw new InvalidFileException(file, position, "the dimensions multiply past 2^63 elements");
            }

            count *= d;
        }

        CheckBytes(count, elementSize, file, position);
        return count;
    }

    /// <summary>Throws when <paramref name="count"/> elements of <paramref name="elementSize"/> bytes pass <see cref="MaxBytes"/>.</summary>
    public static void CheckBytes(long count, int elementSize, string? file, string? position)
    {
        if (count > MaxBytes / Math.Max(1, elementSize))
        {
            throw new InvalidFileException(file, position,
                $"{count:N0} elements of {elementSize} bytes pass the memory cap of {MaxBytes:N0} bytes (NABLA_MAX_READ_BYTES)");
        }
    }

    private sealed class Restore(long? previous) : IDisposable
    {
        public void Dispose() => Scoped.Value = previous;
    }

    private static long FromEnvironment() =>
        long.TryParse(Environment.GetEnvironmentVariable("NABLA_MAX_READ_BYTES"), out long v) && v > 0 ? v : 2L << 30;
}
