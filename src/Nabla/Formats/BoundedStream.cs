namespace Nabla.Formats;

/// <summary>
/// A read-only wrapper around a decompressing stream (gzip, PNG's zlib) that throws an
/// <see cref="InvalidFileException"/> as soon as more than <see cref="Limit"/> bytes come out of it, so a
/// decompression bomb is stopped while it streams, never after it has been inflated into memory.
/// </summary>
/// <remarks>
/// Readers compute the limit with <see cref="LimitFor"/>: the smallest of what the file's header declares, the
/// compressed size times <see cref="ReadLimits.MaxCompressionRatio"/>, and <see cref="ReadLimits.MaxBytes"/>.
/// Deflate cannot exceed about 1032:1, so an honest stream never reaches the ratio bound.
/// </remarks>
public sealed class BoundedStream : Stream
{
    private readonly Stream inner;
    private readonly string? file;
    private readonly string what;
    private long produced;

    /// <summary>Wraps <paramref name="inner"/> (disposed with this stream); <paramref name="what"/> names it in errors ("the gzip stream").</summary>
    public BoundedStream(Stream inner, long limit, string? file, string what)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        (this.inner, Limit, this.file, this.what) = (inner, limit, file, what);
    }

    /// <summary>The most bytes this stream may yield.</summary>
    public long Limit { get; }

    /// <summary>The bytes yielded so far.</summary>
    public long Produced => produced;

    /// <inheritdoc/>
    public override bool CanRead => true;

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override bool CanWrite => false;

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Position
    {
        get => produced;
        set => throw new NotSupportedException();
    }

    /// <summary>
    /// The decompressed-size limit for a stream of <paramref name="compressedLength"/> bytes whose header declares
    /// <paramref name="declared"/> bytes (or null when nothing is declared).
    /// </summary>
    public static long LimitFor(long compressedLength, long? declared)
    {
        long byRatio = compressedLength > long.MaxValue / ReadLimits.MaxCompressionRatio ? long.MaxValue : compressedLength * ReadLimits.MaxCompressionRatio;
        return Math.Min(Math.Min(byRatio, ReadLimits.MaxBytes), declared ?? long.MaxValue);
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer)
    {
        // Ask for at most one byte past the limit: enough to detect the excess without inflating more of it.
        long room = Limit - produced + 1;
        int n = inner.Read(buffer[..(int)Math.Min(buffer.Length, room)]);
        produced += n;
        if (produced > Limit)
        {
            throw new InvalidFileException(file, $"decompressed byte {Limit:N0}",
                $"{what} inflates past its limit of {Limit:N0} bytes (the smallest of the size the header declares, " +
                $"{ReadLimits.MaxCompressionRatio}× the compressed size, and the memory cap NABLA_MAX_READ_BYTES): a decompression bomb or a corrupt file");
        }

        return n;
    }

    /// <inheritdoc/>
    public override void Flush()
    {
    }

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
