namespace Nabla.Data;

/// <summary>
/// A character vocabulary: the distinct characters of a text in ordinal order, each one token (as Karpathy's
/// char-level nanoGPT and min-char-rnn do).
/// </summary>
public sealed class CharVocabulary
{
    private readonly Dictionary<char, int> index;

    /// <summary>The vocabulary of the characters in <paramref name="text"/>.</summary>
    public CharVocabulary(string text)
        : this((text ?? throw new ArgumentNullException(nameof(text))).Distinct().Order().ToArray())
    {
    }

    private CharVocabulary(char[] chars)
    {
        if (chars.Length == 0)
        {
            throw new ArgumentException("a vocabulary needs at least one character");
        }

        Chars = new string(chars);
        index = [];
        for (int i = 0; i < chars.Length; i++)
        {
            if (!index.TryAdd(chars[i], i))
            {
                throw new ArgumentException($"the vocabulary lists '{Escape(chars[i])}' twice");
            }
        }
    }

    /// <summary>The characters, token i = Chars[i].</summary>
    public string Chars { get; }

    /// <summary>Number of tokens.</summary>
    public int Size => Chars.Length;

    /// <summary>A vocabulary from its list of characters (as stored with a model), in that order.</summary>
    public static CharVocabulary FromChars(string chars) => new((chars ?? throw new ArgumentNullException(nameof(chars))).ToCharArray());

    /// <summary>The tokens of <paramref name="text"/>.</summary>
    /// <exception cref="ArgumentException">A character is not in the vocabulary (named, with its position).</exception>
    public long[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = new long[text.Length];
        for (int i = 0; i < text.Length; i++)
        {
            tokens[i] = index.TryGetValue(text[i], out int t) ? t
                : throw new ArgumentException($"character '{Escape(text[i])}' at position {i} is not in the model's vocabulary of {Size} characters");
        }

        return tokens;
    }

    /// <summary>The text of <paramref name="tokens"/>.</summary>
    public string Decode(IEnumerable<long> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        return string.Concat(tokens.Select(t => t >= 0 && t < Size ? Chars[(int)t] : throw new ArgumentOutOfRangeException(nameof(tokens), $"token {t} is outside the vocabulary (0..{Size - 1})")));
    }

    private static string Escape(char c) => c switch { '\n' => "\\n", '\r' => "\\r", '\t' => "\\t", _ => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString() };
}

/// <summary>
/// A text as character tokens, split into a training part (the first 90% by default) and a validation part (the
/// rest), with random windows for next-character prediction: x = tokens[i .. i+T), y = tokens[i+1 .. i+T+1).
/// </summary>
public sealed class TextCorpus
{
    /// <summary>Tokenises <paramref name="text"/> and splits it.</summary>
    /// <param name="text">The text.</param>
    /// <param name="validationFraction">The share at the end kept for validation, in (0, 1).</param>
    /// <param name="vocabulary">The vocabulary (default: that of the whole text).</param>
    public TextCorpus(string text, double validationFraction = 0.1, CharVocabulary? vocabulary = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!(validationFraction > 0 && validationFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "the validation fraction must be in (0, 1)");
        }

        Vocabulary = vocabulary ?? new CharVocabulary(text);
        var tokens = Vocabulary.Encode(text);
        int split = (int)(tokens.Length * (1 - validationFraction));
        (Train, Validation) = (tokens[..split], tokens[split..]);
    }

    /// <summary>The vocabulary.</summary>
    public CharVocabulary Vocabulary { get; }

    /// <summary>The training tokens.</summary>
    public long[] Train { get; }

    /// <summary>The validation tokens.</summary>
    public long[] Validation { get; }

    /// <summary>
    /// <paramref name="batchSize"/> windows of <paramref name="blockSize"/> tokens at random offsets of one part:
    /// inputs x and targets y (x shifted by one), both (batchSize, blockSize) Int64.
    /// </summary>
    /// <exception cref="ArgumentException">The part is not longer than <paramref name="blockSize"/>.</exception>
    public (Tensor X, Tensor Y) Batch(bool validation, int blockSize, int batchSize, Generator generator)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentNullException.ThrowIfNull(generator);
        var part = validation ? Validation : Train;
        if (part.Length <= blockSize)
        {
            throw new ArgumentException($"the {(validation ? "validation" : "training")} text has {part.Length} characters, fewer than a window of {blockSize} + 1");
        }

        var x = new long[batchSize * blockSize];
        var y = new long[batchSize * blockSize];
        for (int b = 0; b < batchSize; b++)
        {
            int start = (int)generator.NextInt64(0, part.Length - blockSize);
            Array.Copy(part, start, x, b * blockSize, blockSize);
            Array.Copy(part, start + 1, y, b * blockSize, blockSize);
        }

        var shape = new Shape(batchSize, blockSize);
        return (Tensor.FromArray(x, shape), Tensor.FromArray(y, shape));
    }
}
