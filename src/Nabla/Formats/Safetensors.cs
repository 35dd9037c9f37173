using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Nabla.Formats;

/// <summary>The tensors and metadata of a safetensors file.</summary>
/// <param name="Tensors">The tensors by name, in file order.</param>
/// <param name="Metadata">The <c>__metadata__</c> string map (empty when absent).</param>
public sealed record SafetensorsFile(Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata);

/// <summary>
/// Reads and writes the safetensors format (Hugging Face), which PyTorch loads with
/// <c>safetensors.torch.load_file</c>: an 8-byte little-endian header length N, N bytes of JSON, then the raw
/// little-endian tensor data.
/// </summary>
/// <remarks>
/// <para>The JSON maps each name to <c>{"dtype": "F32"|"F64"|"F16"|"BF16"|"I64"|"BOOL", "shape": [...], "data_offsets": [begin, end]}</c>
/// (offsets relative to the start of the data) plus an optional <c>"__metadata__"</c> string-to-string map. F16 and
/// BF16 tensors (half-precision exports, <c>model.half()</c>, <c>torch.bfloat16</c>) are read as Float32, which holds
/// every value of both exactly; <see cref="NN.Module.LoadStateDict"/> then converts to the model's dtype. The writer
/// writes F32, F64, I64 and BOOL only, so a half-precision file read and saved again doubles in size. As the
/// reference writer does, tensors are laid out by decreasing element size then by name, so every tensor is
/// aligned to its element size, and the header is padded with spaces to a multiple of 8 bytes.</para>
/// <para>The reader checks the header against the schema before it allocates a tensor (header length at most
/// 100 MB and within the file, JSON depth bounded, no duplicate keys, known dtypes, non-negative shapes whose
/// element counts are overflow-checked against <see cref="ReadLimits.MaxBytes"/>, byte ranges that match the
/// shapes and tile the data without gaps or overlap, <c>__metadata__</c> a string map) and reports a defect as
/// an <see cref="InvalidFileException"/> that names the file, the key and the problem.</para>
/// </remarks>
public static class Safetensors
{
    private const long MaxHeader = 100_000_000;

    /// <summary>Writes <paramref name="tensors"/> to <paramref name="path"/> atomically (temporary file, flush, rename).</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        AtomicFile.Write(path, Serialize(tensors, metadata));

    /// <summary>Reads a safetensors file.</summary>
    /// <exception cref="InvalidFileException">The file is truncated or malformed (the message names the file, the key and the problem).</exception>
    public static SafetensorsFile Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: file not found", path);
        }

        // Bound the read before it happens: the data within the memory cap, plus the 8-byte length and the header.
        long length = new FileInfo(path).Length;
        if (length > Math.Min(Array.MaxLength, ReadLimits.MaxBytes + 8 + MaxHeader))
        {
            throw new InvalidFileException(path, null, $"the file has {length:N0} bytes, more than the memory cap of {ReadLimits.MaxBytes:N0} (NABLA_MAX_READ_BYTES) allows");
        }

        return Deserialize(File.ReadAllBytes(path), path);
    }

    /// <summary>The safetensors bytes of <paramref name="tensors"/>.</summary>
    public static byte[] Serialize(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var order = tensors.OrderByDescending(kv => kv.Value.DType.ElementSize()).ThenBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var meta = new JsonObject();
            foreach (var (k, v) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                meta[k] = v;
            }

            header["__metadata__"] = meta;
        }

        long offset = 0;
        var blobs = new List<byte[]>();
        foreach (var (name, t) in order)
        {
            byte[] bytes = ToBytes(t);
            header[name] = new JsonObject
            {
                ["dtype"] = DTypeName(t.DType),
                ["shape"] = new JsonArray(t.Shape.ToArray().Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes.Length),
            };
            offset += bytes.Length;
            blobs.Add(bytes);
        }

        byte[] json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8;
        var result = new byte[8 + padded + offset];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)padded);
        json.CopyTo(result, 8);
        result.AsSpan(8 + json.Length, padded - json.Length).Fill((byte)' ');
        long pos = 8 + padded;
        foreach (var b in blobs)
        {
            b.CopyTo(result, pos);
            pos += b.Length;
        }

        return result;
    }

    /// <summary>Parses safetensors bytes; <paramref name="source"/> names them in error messages.</summary>
    /// <exception cref="InvalidFileException">The bytes are truncated or break the schema (see <see cref="Safetensors"/>).</exception>
    public static SafetensorsFile Deserialize(byte[] bytes, string source = "safetensors data")
    {
        if (bytes.Length < 8)
        {
            throw new InvalidFileException(source, "byte 0", $"not a safetensors file: {bytes.Length} bytes, shorter than the 8-byte header length (truncated?)");
        }

        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (n > MaxHeader || (long)n > bytes.Length - 8)
        {
            throw new InvalidFileException(source, "byte 0", n > MaxHeader
                ? $"the header length {n:N0} passes the limit of {MaxHeader:N0} bytes"
                : $"the header length is {n:N0} bytes but the file has only {bytes.Length - 8:N0} after it (truncated or corrupt)");
        }

        var data = bytes.AsMemory(8 + (int)n);
        var (entries, metadata) = SafetensorsHeader.Parse(bytes.AsMemory(8, (int)n), data.Length, source);
        var tensors = new Dictionary<string, Tensor>();
        foreach (var e in entries)
        {
            tensors[e.Name] = FromBytes(data.Span[(int)e.Begin..(int)e.End], e.FileDType, new Shape(e.Shape));
        }

        return new SafetensorsFile(tensors, metadata);
    }

    private static string DTypeName(DType d) => d switch
    {
        DType.Float32 => "F32",
        DType.Float64 => "F64",
        DType.Int64 => "I64",
        DType.Bool => "BOOL",
        _ => throw new ArgumentException($"safetensors: unsupported dtype {d}"),
    };

    private static byte[] ToBytes(Tensor t)
    {
        var c = t.IsContiguous ? t : t.Contiguous();
        int n = checked((int)c.Numel);
        EnsureLittleEndian();
        return c.DType switch
        {
            DType.Float32 => MemoryMarshal.AsBytes(c.Elements<float>().AsSpan(c.Offset, n)).ToArray(),
            DType.Float64 => MemoryMarshal.AsBytes(c.Elements<double>().AsSpan(c.Offset, n)).ToArray(),
            DType.Int64 => MemoryMarshal.AsBytes(c.Elements<long>().AsSpan(c.Offset, n)).ToArray(),
            DType.Bool => c.Elements<bool>().AsSpan(c.Offset, n).ToArray().Select(b => b ? (byte)1 : (byte)0).ToArray(),
            _ => throw new ArgumentException($"safetensors: unsupported dtype {c.DType}"),
        };
    }

    private static Tensor FromBytes(ReadOnlySpan<byte> bytes, string fileDType, Shape shape)
    {
        EnsureLittleEndian();
        return fileDType switch
        {
            "F32" => new Tensor(MemoryMarshal.Cast<byte, float>(bytes).ToArray(), DType.Float32, shape),
            "F64" => new Tensor(MemoryMarshal.Cast<byte, double>(bytes).ToArray(), DType.Float64, shape),
            "F16" => new Tensor(Widen(bytes, h => (float)BitConverter.UInt16BitsToHalf(h)), DType.Float32, shape),
            "BF16" => new Tensor(Widen(bytes, b => BitConverter.Int32BitsToSingle(b << 16)), DType.Float32, shape),
            "I64" => new Tensor(MemoryMarshal.Cast<byte, long>(bytes).ToArray(), DType.Int64, shape),
            _ => new Tensor(bytes.ToArray().Select(b => b != 0).ToArray(), DType.Bool, shape),
        };
    }

    /// <summary>
    /// 16-bit floats as float32, exactly: Half → float is exact (System.Half), and a bfloat16 is the high 16 bits of
    /// the float32 with the same value, so shifting its bits up by 16 gives that float32 (NaN payloads included).
    /// </summary>
    private static float[] Widen(ReadOnlySpan<byte> bytes, Func<ushort, float> convert)
    {
        var r = new float[bytes.Length / 2];
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = convert(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]));
        }

        return r;
    }

    private static void EnsureLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("safetensors I/O assumes a little-endian machine");
        }
    }
}
