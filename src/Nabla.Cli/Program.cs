using System.Reflection;
using Nabla.Cli.Commands;

namespace Nabla.Cli;

/// <summary>The <c>nabla</c> command line: thin commands, each calling one library API.</summary>
internal static class Program
{
    private const string Help = """
        nabla: deep learning in pure .NET, with its work shown.

        Usage:
          nabla demo [--steps N] [--seed S]   train a small network on XOR with the autograd engine
          nabla summary <model.yaml|builtin> [--input 1x32x32] [--format table|markdown|json] [--compare other.yaml]
                                              layer table: shapes, parameters, MACs, receptive fields
                                              (built-in: lenet5, alexnet, vgg16, resnet18, inception_block, ...)
          nabla explain <exercise.yaml> [--format text|markdown|json|dot|html] [--digits N] [--png DIR] [--allow-path DIR]...
                                              the worked solution of an exercise (forward, loss, chain rule,
                                              BPTT table, updates, Hessians), computed by the engine
          nabla check <exercise.yaml> [--claims claims.yaml|FOLDER] [--report DIR] [--format text|html] [--digits N] [--allow-path DIR]...
                                              right/wrong per claimed value; blames the first wrong step;
                                              a FOLDER of claims files (one per student) gives a grade table
                                              (files an exercise names are read only in its folder and
                                              the --allow-path folders: docs/security.md)
          nabla exercise list | new <topic> [--seed N] [--out DIR]
                                              problem types; a new variant with fresh numbers and its
                                              answer key (a claims file computed by the engine)
          nabla train [options]               train LeNet-5 on built-in digits (nabla train --help for options)
          nabla --version                     print the version
          nabla --help                        print this help
        """;

    public static int Main(string[] args)
    {
        try
        {
            return args switch
            {
                [] or ["--help" or "-h" or "help"] => Print(Help),
                ["--version" or "-v"] => Print(Version()),
                ["demo", .. var rest] => DemoCommand.Run(rest, Console.Out),
                ["summary", .. var rest] => SummaryCommand.Run(rest, Console.Out, Console.Error),
                ["explain", .. var rest] => ExplainCommand.Run(rest, Console.Out, Console.Error),
                ["check", .. var rest] => CheckCommand.Run(rest, Console.Out, Console.Error),
                ["exercise", .. var rest] => ExerciseCommand.Run(rest, Console.Out, Console.Error),
                ["train", "--help" or "-h"] => Print(TrainCommand.Usage),
                ["train", .. var rest] => TrainCommand.Run(rest, Console.Out, Console.Error),
                [var unknown, ..] => Fail($"unknown command '{unknown}'. Run 'nabla --help' for the list."),
            };
        }
        catch (ArgumentException e)
        {
            return Fail(e.Message);
        }
    }

    private static string Version() =>
        typeof(Tensor).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? "unknown";

    private static int Print(string text)
    {
        Console.Out.WriteLine(text);
        return 0;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"nabla: {message}");
        return 2;
    }
}
