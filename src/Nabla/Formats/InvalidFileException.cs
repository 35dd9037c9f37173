namespace Nabla.Formats;

/// <summary>
/// The one error every reader of an untrusted file throws (model and exercise files, safetensors, checkpoints, IDX,
/// gzip, CSV, PNG): a single line naming the file, the position in it and the problem, never the file's contents.
/// The message reads <c>file: position: problem</c>, each part present when known. The one exception is a
/// checkpoint that does not fit its model: the summary line is followed by one indented line per key (the keys
/// quoted with <see cref="Quote"/>, so a key cannot start a line of its own).
/// </summary>
public class InvalidFileException : FormatException
{
    /// <summary>Creates the error for <paramref name="file"/> at <paramref name="position"/> (e.g. "byte 16", "line 3, column 5").</summary>
    public InvalidFileException(string? file, string? position, string problem)
        : base(Compose(file, position, problem)) => (File, Position, Problem) = (file, position, problem);

    /// <summary>Creates the error for <paramref name="file"/> at <paramref name="position"/>, wrapping the cause.</summary>
    public InvalidFileException(string? file, string? position, string problem, Exception innerException)
        : base(Compose(file, position, problem), innerException) => (File, Position, Problem) = (file, position, problem);

    /// <summary>Creates an error without a file or position.</summary>
    public InvalidFileException()
        : this(null, null, "invalid file")
    {
    }

    /// <summary>Creates an error without a file or position.</summary>
    public InvalidFileException(string message)
        : this(null, null, message)
    {
    }

    /// <summary>Creates an error without a file or position, wrapping the cause.</summary>
    public InvalidFileException(string message, Exception innerException)
        : this(null, null, message, innerException)
    {
    }

    /// <summary>The file's path as the user gave it, or null when the input did not come from a file.</summary>
    public string? File { get; }

    /// <summary>Where in the file ("byte 16", "line 3, column 5", "tensor 'fc.weight'"), or null.</summary>
    public string? Position { get; }

    /// <summary>What is wrong, without the file and position.</summary>
    public string Problem { get; }

    /// <summary>
    /// A key or name taken from a file as a message may show it: quoted, control characters escaped, at most 80
    /// characters, so that the message stays one short line whatever the file holds.
    /// </summary>
    public static string Quote(string key)
    {
        var sb = new System.Text.StringBuilder("'");
        foreach (char c in key.Length > 80 ? key[..77] : key)
        {
            sb.Append(char.IsControl(c) ? $"\\u{(int)c:x4}" : c);
        }

        return sb.Append(key.Length > 80 ? "...'" : "'").ToString();
    }

    private static string Compose(string? file, string? position, string problem) =>
        string.Join(": ", new[] { file, position, problem }.Where(s => !string.IsNullOrEmpty(s)));
}
