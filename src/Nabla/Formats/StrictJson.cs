using System.Text.Json;

namespace Nabla.Formats;

/// <summary>
/// JSON from an untrusted file, checked whole before anyone reads it: nesting at most <see cref="ReadLimits.MaxDepth"/>,
/// no property twice in an object, and every string and property name decodable. System.Text.Json defers the last
/// two until a value is read, and then throws ArgumentException (a duplicate key, from JsonObject) or
/// InvalidOperationException (an escaped unpaired surrogate such as <c>"\uDECA"</c>) deep inside the caller.
/// </summary>
internal static class StrictJson
{
    /// <summary>Parses and checks <paramref name="json"/>; any fault is an <see cref="InvalidFileException"/> naming <paramref name="file"/> and <paramref name="at"/>.</summary>
    public static JsonDocument Parse(ReadOnlyMemory<byte> json, string? file, string at, string problem = "invalid JSON")
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = ReadLimits.MaxDepth, AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            // The parser's message gives the line and byte; it never quotes the input.
            string where = e.LineNumber is long line ? $"{at}, JSON line {line + 1}, byte {e.BytePositionInLine + 1}" : at;
            string why = e.Message.StartsWith("Duplicate property", StringComparison.Ordinal)
                ? "a property appears twice in one object" // the parser's message would repeat the key unescaped
                : e.Message.Split(" Path:")[0].Split(" LineNumber:")[0];
            throw new InvalidFileException(file, where, $"{problem} ({why})", e);
        }

        try
        {
            CheckStrings(doc.RootElement);
            return doc;
        }
        catch (InvalidOperationException e)
        {
            doc.Dispose();
            throw new InvalidFileException(file, at, "a JSON string is not valid text (an escaped unpaired surrogate such as \\uDECA)", e);
        }
    }

    /// <summary>Parses and checks JSON text (a metadata value).</summary>
    public static JsonDocument Parse(string json, string? file, string at) => Parse(System.Text.Encoding.UTF8.GetBytes(json), file, at);

    private static void CheckStrings(JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.String:
                _ = e.GetString();
                break;
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    _ = p.Name;
                    CheckStrings(p.Value);
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in e.EnumerateArray())
                {
                    CheckStrings(item);
                }

                break;
        }
    }
}
