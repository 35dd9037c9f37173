using System.Text.Json;

namespace Nabla.Formats;

/// <summary>One tensor's entry in a safetensors header, validated.</summary>
/// <param name="Name">The tensor's name.</param>
/// <param name="FileDType">The dtype as the file names it (F32, F64, F16, BF16, I64, BOOL).</param>
/// <param name="DType">The dtype the tensor has once read (F16 and BF16 are read as Float32).</param>
/// <param name="Shape">The dimensions.</param>
/// <param name="Begin">The first byte of the data, relative to the data section.</param>
/// <param name="End">One past the last byte.</param>
internal sealed record SafetensorsEntry(string Name, string FileDType, DType DType, int[] Shape, long Begin, long End);

/// <summary>
/// The schema check of a safetensors JSON header, done in full before any tensor is allocated: the header is an
/// object (depth at most <see cref="ReadLimits.MaxDepth"/>, no duplicate keys) whose members are
/// <c>__metadata__</c>, a string-to-string map, and tensors, each exactly
/// <c>{"dtype": F32|F64|F16|BF16|I64|BOOL, "shape": [non-negative ints], "data_offsets": [begin, end]}</c> with
/// <c>end − begin</c> = elements × element size (counted with overflow checks and within
/// <see cref="ReadLimits.MaxBytes"/>), and the byte ranges, sorted, tile the data section exactly.
/// </summary>
internal static class SafetensorsHeader
{
    private static readonly string[] EntryKeys = ["dtype", "shape", "data_offsets"];

    /// <summary>Parses and validates <paramref name="json"/>; <paramref name="dataLength"/> is the size of the data section.</summary>
    public static (List<SafetensorsEntry> Entries, Dictionary<string, string> Metadata) Parse(ReadOnlyMemory<byte> json, long dataLength, string file)
    {
        using var doc = Document(json, file);
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidFileException(file, "header", $"the header is {Kind(doc.RootElement)}, not a JSON object");
        }

        var metadata = new Dictionary<string, string>();
        var entries = new List<SafetensorsEntry>();
        foreach (var member in doc.RootElement.EnumerateObject())
        {
            if (member.Name == "__metadata__")
            {
                Metadata(member.Value, metadata, file);
            }
            else
            {
                entries.Add(Entry(member.Name, member.Value, file));
            }
        }

        CheckTiling(entries, dataLength, file);
        return (entries, metadata);
    }

    private static JsonDocument Document(ReadOnlyMemory<byte> json, string file)
    {
        // The JSON parser checks the UTF-8 of strings only when they are read, and then throws InvalidOperationException.
        if (!System.Text.Unicode.Utf8.IsValid(json.Span))
        {
            throw new InvalidFileException(file, "header", "the header is not valid UTF-8");
        }

        return StrictJson.Parse(json, file, "header", "the header is not a JSON object: invalid JSON");
    }

    private static void Metadata(JsonElement node, Dictionary<string, string> metadata, string file)
    {
        if (node.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidFileException(file, "header key '__metadata__'", $"must be an object mapping strings to strings, found {Kind(node)}");
        }

        foreach (var m in node.EnumerateObject())
        {
            metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String
                ? m.Value.GetString()!
                : throw new InvalidFileException(file, $"header key '__metadata__', entry {InvalidFileException.Quote(m.Name)}", $"must be a string, found {Kind(m.Value)}");
        }
    }

    private static SafetensorsEntry Entry(string name, JsonElement node, string file)
    {
        string at = $"header, tensor {InvalidFileException.Quote(name)}";
        InvalidFileException Bad(string problem) => new(file, at, problem);
        if (node.ValueKind != JsonValueKind.Object)
        {
            throw Bad($"must be an object with dtype, shape and data_offsets, found {Kind(node)}");
        }

        foreach (var p in node.EnumerateObject())
        {
            if (!EntryKeys.Contains(p.Name))
            {
                throw Bad($"unknown key {InvalidFileException.Quote(p.Name)} (a tensor has exactly dtype, shape and data_offsets)");
            }
        }

        string fileDType = Field(node, "dtype", JsonValueKind.String, Bad).GetString()!;
        var (dtype, fileSize) = fileDType switch
        {
            "F32" => (DType.Float32, 4),
            "F64" => (DType.Float64, 8),
            "F16" or "BF16" => (DType.Float32, 2), // widened on read: every half and bfloat16 value is a float32 value
            "I64" => (DType.Int64, 8),
            "BOOL" => (DType.Bool, 1),
            _ => throw Bad($"dtype {InvalidFileException.Quote(fileDType)} is not supported; Nabla reads F32, F64, F16, BF16, I64 and BOOL"),
        };
        var shape = Ints(Field(node, "shape", JsonValueKind.Array, Bad), "shape", int.MaxValue, Bad);
        var offsets = Ints(Field(node, "data_offsets", JsonValueKind.Array, Bad), "data_offsets", long.MaxValue, Bad);
        if (offsets.Length != 2 || offsets[0] > offsets[1])
        {
            throw Bad($"data_offsets must be [begin, end] with begin <= end, found [{string.Join(", ", offsets)}]");
        }

        // The memory cap applies to the tensor as read (an F16 tensor takes twice its file bytes), the span to the file.
        long numel = ReadLimits.ElementCount(shape, dtype.ElementSize(), file, at);
        long bytes = numel * fileSize;
        if (offsets[1] - offsets[0] != bytes)
        {
            throw Bad($"shape [{string.Join(", ", shape)}] of {fileDType} needs {bytes:N0} bytes but data_offsets [{offsets[0]}, {offsets[1]}] span {offsets[1] - offsets[0]:N0}");
        }

        return new SafetensorsEntry(name, fileDType, dtype, shape.Select(d => (int)d).ToArray(), offsets[0], offsets[1]);
    }

    private static JsonElement Field(JsonElement o, string key, JsonValueKind kind, Func<string, InvalidFileException> bad) =>
        !o.TryGetProperty(key, out var v) ? throw bad($"lacks '{key}'")
        : v.ValueKind != kind ? throw bad($"'{key}' must be {(kind == JsonValueKind.Array ? "an array" : "a string")}, found {Kind(v)}")
        : v;

    /// <summary>The elements of <paramref name="array"/> as integers in [0, <paramref name="max"/>].</summary>
    private static long[] Ints(JsonElement array, string key, long max, Func<string, InvalidFileException> bad)
    {
        // A shape has at most a handful of dimensions; more than 64 is a hostile header, not a tensor.
        if (array.GetArrayLength() > 64)
        {
            throw bad($"'{key}' has {array.GetArrayLength()} elements; at most 64 are allowed");
        }

        var r = new long[array.GetArrayLength()];
        int i = 0;
        foreach (var e in array.EnumerateArray())
        {
            r[i++] = e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out long v) && v >= 0 && v <= max
                ? v
                : throw bad($"'{key}' element {i - 1} must be an integer from 0 to {max}, found {(e.ValueKind == JsonValueKind.Number ? "a number out of range" : Kind(e))}");
        }

        return r;
    }

    /// <summary>The byte ranges, sorted by start, must cover [0, dataLength) with no gap and no overlap.</summary>
    private static void CheckTiling(List<SafetensorsEntry> entries, long dataLength, string file)
    {
        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expected = 0;
        foreach (var e in entries)
        {
            if (e.Begin != expected)
            {
                throw new InvalidFileException(file, $"header, tensor {InvalidFileException.Quote(e.Name)}",
                    $"data_offsets start at byte {e.Begin:N0} of the data, expected {expected:N0} ({(e.Begin > expected ? "a gap" : "an overlap")} between tensors)");
            }

            expected = e.End;
        }

        if (expected != dataLength)
        {
            throw new InvalidFileException(file, $"byte {dataLength:N0} of the data", expected > dataLength
                ? $"the tensors need {expected:N0} bytes of data, the file has only {dataLength:N0} (truncated)"
                : $"{dataLength - expected:N0} bytes after the last tensor's data");
        }
    }

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
