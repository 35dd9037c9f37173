using System.CommandLine;
using System.Globalization;
using Nabla.Formats;

namespace Nabla.Cli.Commands;

/// <summary>
/// <c>nabla generate RUN</c>: continues a prompt with a language model trained by <c>nabla train --model gpt-tiny</c>,
/// one character at a time, drawn from softmax(logits / temperature) over the top-k characters.
/// </summary>
internal static class GenerateCommand
{
    public const string Examples = """
        Examples:
          nabla generate runs/gpt                                   (200 characters after a new line)
          nabla generate runs/gpt --prompt "LAWYER, n." --tokens 300 --temperature 0.8 --top-k 10
          nabla generate runs/gpt/model.safetensors --prompt "A" --seed 7

        Prints the prompt and its continuation. Exit status: 0 generated; 1 the model file could not be read;
        2 a bad argument (a prompt character the model has never seen is one).
        """;

    /// <summary>The <c>generate</c> command.</summary>
    internal static Command Create()
    {
        var run = CliOptions.Positional("run", "RUN", "a run folder of nabla train --model gpt-tiny, or its model.safetensors");
        var prompt = CliOptions.Text("--prompt", "TEXT", "the text to continue (default: a new line)");
        var tokens = CliOptions.Int("--tokens", "N", "characters to generate (default 200)", 0, 1_000_000);
        var temperature = CliOptions.Positive("--temperature", "T", "divides the logits: below 1 surer, above 1 more varied (default 1)");
        var topK = CliOptions.Int("--top-k", "K", "draw only among the K likeliest characters (default: all)");
        var seed = CliOptions.Long("--seed", "S", "sampling seed (default 0)");
        var command = new Command("generate", "Continue a prompt with a language model trained by nabla train --model gpt-tiny.")
        {
            run, prompt, tokens, temperature, topK, seed,
        };
        command.SetAction(r => Run(r.GetValue(run)!, r.GetValue(prompt) ?? "\n", r.GetValue(tokens) ?? 200, r.GetValue(temperature) ?? 1.0,
            r.GetValue(topK), r.GetValue(seed) ?? 0, r.InvocationConfiguration.Output, r.InvocationConfiguration.Error));
        return command;
    }

    private static int Run(string run, string prompt, int tokens, double temperature, int? topK, long seed, TextWriter stdout, TextWriter stderr)
    {
        try
        {
            var (model, vocab) = GptTraining.Load(run);
            long[] encoded;
            try
            {
                encoded = vocab.Encode(prompt);
            }
            catch (ArgumentException e)
            {
                stderr.WriteLine($"nabla generate: --prompt: {e.Message}");
                return 2;
            }

            if (encoded.Length == 0)
            {
                stderr.WriteLine("nabla generate: --prompt must not be empty");
                return 2;
            }

            var generated = model.Generate(encoded, tokens, temperature, topK, new Generator(seed));
            stdout.Write(prompt);
            stdout.WriteLine(vocab.Decode(generated));
            return 0;
        }
        catch (Exception e) when (e is InvalidFileException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine(string.Create(CultureInfo.InvariantCulture, $"nabla generate: {e.Message}"));
            return 1;
        }
    }
}
