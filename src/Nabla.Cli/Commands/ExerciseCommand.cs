using System.Globalization;
using Nabla.Explain.Generators;

namespace Nabla.Cli.Commands;

/// <summary>
/// <c>nabla exercise list</c> names the problem types; <c>nabla exercise new TOPIC [--seed N] [--out DIR]</c> writes a
/// new variant with fresh numbers, <c>DIR/TOPIC-N.yaml</c>, and its answer key computed by the engine,
/// <c>DIR/TOPIC-N.key.yaml</c> (a claims file for <c>nabla check</c>). The same seed gives the same files.
/// </summary>
internal static class ExerciseCommand
{
    public const string Usage = "nabla exercise list | nabla exercise new <topic> [--seed N] [--out DIR]";

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        try
        {
            switch (args)
            {
                case ["list"]:
                    int width = ExerciseGenerator.Topics.Max(t => t.Name.Length);
                    foreach (var t in ExerciseGenerator.Topics)
                    {
                        output.WriteLine($"  {t.Name.PadRight(width)}  {t.Description}");
                    }

                    return 0;
                case ["new", var topic, .. var rest] when !topic.StartsWith('-'):
                    return New(ExerciseGenerator.Find(topic), rest, output);
                default:
                    throw new ArgumentException($"usage: {Usage}");
            }
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"nabla exercise: {e.Message}");
            return 2;
        }
    }

    private static int New(Topic topic, string[] args, TextWriter output)
    {
        int seed = 0;
        string dir = ".";
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value ({Usage})");
            switch (args[i])
            {
                case "--seed":
                    string s = Next();
                    seed = int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v
                        : throw new ArgumentException($"--seed must be a whole number from 0 to {int.MaxValue}, got '{s}'");
                    break;
                case "--out":
                    dir = Next();
                    break;
                default:
                    throw new ArgumentException($"unknown argument '{args[i]}' ({Usage})");
            }
        }

        var g = ExerciseGenerator.Generate(topic, seed);
        Directory.CreateDirectory(dir);
        string exercise = Path.Combine(dir, $"{g.Stem}.yaml"), key = Path.Combine(dir, $"{g.Stem}.key.yaml");
        File.WriteAllText(exercise, g.ExerciseYaml);
        File.WriteAllText(key, g.KeyYaml);
        output.WriteLine($"wrote {exercise} (nabla explain {exercise} shows the worked solution)");
        output.WriteLine($"wrote {key} (the answer key: {string.Join(", ", g.Asks)})");
        return 0;
    }
}
