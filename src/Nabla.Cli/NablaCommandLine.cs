using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Reflection;
using Nabla.Cli.Commands;

namespace Nabla.Cli;

/// <summary>
/// The <c>nabla</c> command tree on System.CommandLine, which only parses, validates and dispatches: each command's
/// work stays in its Commands/*.cs. Exit codes: 0 success (help and <c>--version</c> included); 1 a check found
/// wrong claims, training failed, or (train) a file could not be read or written; 2 a usage error (a bad or missing
/// value, an unknown option or command) or (explain, check, summary, exercise) a bad input file. Every error is one
/// line on stderr, never a stack trace.
/// </summary>
internal static class NablaCommandLine
{
    /// <summary>The exit code of a usage error.</summary>
    public const int UsageError = 2;

    private const string RootExamples = """
        Examples:
          nabla train --epochs 5 --optimizer adam --lr 0.001
          nabla summary resnet18 --format markdown
          nabla explain examples/exercises/S0-Q3b-bptt-gradients.yaml --format html > page.html
          nabla check exercise.yaml --claims answers.yaml
          nabla exercise new bptt --seed 3 --out homework
          nabla train --help        (each command has --help with its options and examples)

        Exit status: 0 success; 1 a check found wrong claims, or training failed; 2 a bad argument or input file.
        Tab completion: docs/cli.md (dotnet-suggest and the [suggest] directive).
        """;

    /// <summary>Parses <paramref name="args"/> and runs the command they name, writing to the given writers.</summary>
    public static int Invoke(string[] args, TextWriter output, TextWriter error)
    {
        var root = Build();
        ParseResult parsed = root.Parse(args switch
        {
            [] => ["--help"],
            ["help", .. var rest] => [.. rest, "--help"],
            _ => args,
        });
        string who = Who(parsed.CommandResult.Command);
        if (parsed.Action is ParseErrorAction)
        {
            error.WriteLine($"{who}: {OneLine(Problem(parsed))} (see {who} --help)");
            return UsageError;
        }

        try
        {
            return parsed.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (ArgumentException e) // a value only the command can judge (a model name, two options that conflict)
        {
            error.WriteLine($"{who}: {OneLine(e.Message)}");
            return UsageError;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A bug, not the user's fault; still one line (the type says where to look), never a stack trace.
            error.WriteLine($"{who}: internal error ({e.GetType().Name}): {OneLine(e.Message)}");
            return 1;
        }
    }

    /// <summary>The version of the Nabla library the tool carries (what <c>nabla --version</c> prints).</summary>
    public static string Version() =>
        typeof(Tensor).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? "unknown";

    /// <summary>Builds the command tree: the commands, help with examples on each, and <c>--version</c>.</summary>
    internal static RootCommand Build()
    {
        var root = new RootCommand("nabla: deep learning in pure .NET, with its work shown.");
        var examples = new Dictionary<Command, string> { [root] = RootExamples };
        (Command Command, string Examples)[] commands =
        [
            (TrainCommand.Create(), TrainCommand.Examples), (SummaryCommand.Create(), SummaryCommand.Examples),
            (ExplainCommand.Create(), ExplainCommand.Examples), (CheckCommand.Create(), CheckCommand.Examples),
            (ExerciseCommand.Create(), ExerciseCommand.Examples), (DemoCommand.Create(), DemoCommand.Examples),
            (GenerateCommand.Create(), GenerateCommand.Examples),
            (ExportCommand.Create(), ExportCommand.Examples),
        ];
        foreach (var (command, text) in commands)
        {
            root.Subcommands.Add(command);
            examples[command] = text;
        }

        var help = root.Options.OfType<HelpOption>().Single();
        help.Action = new HelpWithExamples((HelpAction)help.Action!, examples);
        var version = root.Options.OfType<VersionOption>().Single();
        root.Options.Remove(version);
        root.Options.Add(new VersionOption("--version", "-v") { Action = new PrintVersion() });
        return root;
    }

    /// <summary>"nabla train", "nabla exercise new": the command path, for messages.</summary>
    private static string Who(Command command) =>
        command is RootCommand || command.Parents.FirstOrDefault() is not Command parent ? "nabla" : $"{Who(parent)} {command.Name}";

    /// <summary>
    /// The one problem to report, most useful first: a bad value (the option's own message), then a word nothing
    /// expected, then something missing. System.CommandLine's wording is replaced where the rest of the tool differs.
    /// </summary>
    private static string Problem(ParseResult parsed)
    {
        if (parsed.Errors.FirstOrDefault(e => e.SymbolResult is OptionResult { Tokens.Count: > 0 } or ArgumentResult { Tokens.Count: > 0 }) is { } bad)
        {
            return bad.Message;
        }

        var command = parsed.CommandResult.Command;
        if (parsed.UnmatchedTokens is [var word, ..])
        {
            return word.StartsWith('-') ? $"unknown option '{word}'"
                : command.Subcommands.Count > 0 ? $"unknown command '{word}' ({string.Join(", ", command.Subcommands.Select(c => c.Name))})"
                : $"unexpected argument '{word}'";
        }

        if (command.Subcommands.Count > 0 && command.Action is null)
        {
            return $"which command? {string.Join(", ", command.Subcommands.Select(c => c.Name))}";
        }

        var error = parsed.Errors[0];
        return error.SymbolResult switch
        {
            OptionResult o => $"{o.Option.Name} needs a value",
            ArgumentResult a => $"missing <{a.Argument.HelpName ?? a.Argument.Name}>",
            _ => error.Message,
        };
    }

    private static string OneLine(string message) => string.Join(' ', message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>The built-in help, then the command's examples and exit status.</summary>
    private sealed class HelpWithExamples(HelpAction help, Dictionary<Command, string> examples) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            help.Invoke(parseResult);
            for (Command? c = parseResult.CommandResult.Command; c is not null; c = c.Parents.OfType<Command>().FirstOrDefault())
            {
                if (examples.TryGetValue(c, out string? text))
                {
                    parseResult.InvocationConfiguration.Output.WriteLine(text);
                    break;
                }
            }

            return 0;
        }
    }

    private sealed class PrintVersion : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(Version());
            return 0;
        }
    }
}
