namespace Nabla.Cli;

/// <summary>
/// The <c>nabla</c> command line: thin commands, each calling one library API, parsed and dispatched by
/// <see cref="NablaCommandLine"/> (System.CommandLine). <c>nabla --help</c> lists the commands; docs/cli.md has
/// every option, the exit codes and how to enable tab completion.
/// </summary>
internal static class Program
{
    public static int Main(string[] args) => NablaCommandLine.Invoke(args, Console.Out, Console.Error);
}
