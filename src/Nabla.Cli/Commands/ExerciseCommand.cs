using System.CommandLine;
using Nabla.Explain.Generators;

namespace Nabla.Cli.Commands;

/// <summary>
/// <c>nabla exercise list</c> names the problem types; <c>nabla exercise new TOPIC [--seed N] [--out DIR]</c> writes a
/// new variant with fresh numbers, <c>DIR/TOPIC-N.yaml</c>, and its answer key computed by the engine,
/// <c>DIR/TOPIC-N.key.yaml</c> (a claims file for <c>nabla check</c>). The same seed gives the same files.
/// </summary>
internal static class ExerciseCommand
{
    public const string Examples = """
        Examples:
          nabla exercise list
          nabla exercise new bptt --seed 3 --out homework
          nabla check homework/bptt-3.yaml --claims homework/bptt-3.key.yaml

        Exit status: 0 written; 2 a bad argument or a file that could not be written.
        """;

    /// <summary>Runs <c>nabla exercise</c> with <paramref name="args"/> (the words after <c>exercise</c>).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error) => NablaCommandLine.Invoke(["exercise", .. args], output, error);

    /// <summary>The <c>exercise</c> command and its <c>list</c> and <c>new</c> subcommands.</summary>
    internal static Command Create()
    {
        var list = new Command("list", "Name the problem types (topics) and what each asks.");
        list.SetAction(r => List(r.InvocationConfiguration.Output));

        var topic = CliOptions.Positional("topic", "topic", "a problem type from 'nabla exercise list'");
        topic.CompletionSources.Add([.. ExerciseGenerator.Topics.Select(t => t.Name)]);
        var seed = CliOptions.Int("--seed", "N", "the variant: the same seed gives the same files (default 0)", min: 0);
        var dir = CliOptions.Text("--out", "DIR", "folder to write into (default: the current folder)");
        var create = new Command("new", "Write a new variant with fresh numbers, TOPIC-N.yaml, and its answer key TOPIC-N.key.yaml.") { topic, seed, dir };
        create.SetAction(r => Guarded(() => New(ExerciseGenerator.Find(r.GetValue(topic)!), r.GetValue(seed) ?? 0, r.GetValue(dir) ?? ".",
            r.InvocationConfiguration.Output), r.InvocationConfiguration.Error));

        return new Command("exercise", "Problem types, and new exercise variants with answer keys computed by the engine.") { list, create };
    }

    private static int List(TextWriter output)
    {
        int width = ExerciseGenerator.Topics.Max(t => t.Name.Length);
        foreach (var t in ExerciseGenerator.Topics)
        {
            output.WriteLine($"  {t.Name.PadRight(width)}  {t.Description}");
        }

        return 0;
    }

    private static int Guarded(Func<int> run, TextWriter error)
    {
        try
        {
            return run();
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"nabla exercise: {e.Message}");
            return 2;
        }
    }

    private static int New(Topic topic, int seed, string dir, TextWriter output)
    {
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
