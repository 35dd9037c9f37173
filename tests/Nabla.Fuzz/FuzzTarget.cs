using Nabla.Analysis;
using Nabla.Formats;
using Nabla.NN;

namespace Nabla.Fuzz;

/// <summary>
/// One reader under fuzzing: its seed inputs, how a seed is mutated (structure-aware where the format has checksums,
/// length prefixes or compression that plain byte edits would only ever trip), and how an input is run.
/// </summary>
/// <param name="Name">The target's name on the command line (<c>png</c>, <c>model</c>, ...).</param>
/// <param name="Seeds">Valid inputs to start from.</param>
/// <param name="Run">Reads one input; it may throw only a clean error (<see cref="IsClean"/>).</param>
/// <param name="Mutate">Makes a new input from a seed, another corpus entry and the mutator.</param>
public sealed record FuzzTarget(string Name, Func<IReadOnlyList<byte[]>> Seeds, Action<byte[]> Run, Func<byte[], byte[], Mutator, Random, byte[]> Mutate)
{
    /// <summary>
    /// Whether <paramref name="e"/> is a documented, clean refusal: the one reader error
    /// (<see cref="InvalidFileException"/>, which YAML errors are too) or a model whose shapes do not fit.
    /// Anything else (NullReference, IndexOutOfRange, OutOfMemory, Overflow, a bare Json or Format exception) is a crash.
    /// </summary>
    public static bool IsClean(Exception e) => e is InvalidFileException or YamlException or ModelShapeException;
}
