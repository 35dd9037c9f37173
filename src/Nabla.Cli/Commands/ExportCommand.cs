using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Nabla.Analysis;
using Nabla.Formats;
using Nabla.Models;
using Nabla.NN;
using Nabla.Onnx;
using Nabla.Training;

namespace Nabla.Cli.Commands;

/// <summary>
/// <c>nabla export MODEL [--weights FILE.safetensors] [--out model.onnx]</c>: writes a model as an ONNX file (opset 17,
/// dynamic batch) with <see cref="OnnxExport"/>. MODEL is a built-in name (those of <c>nabla train</c>, then those of
/// <c>nabla summary</c>), a model file, or a run folder of <c>nabla train</c> (its model and its model.safetensors).
/// Without weights the model keeps its seeded initialisation.
/// </summary>
internal static class ExportCommand
{
    public const string Examples = """
        Examples:
          nabla export runs/adam                              (the trained model of a run folder -> runs/adam/model.onnx)
          nabla export lenet5 --weights model.safetensors --out lenet5.onnx
          nabla export examples/models/resnet18.yaml --input 3x64x64 --out resnet18.onnx
          nabla export vgg16 --seed 1                         (seeded initialisation, no weights)

        Exit status: 0 written; 1 a layer cannot be exported or the file cannot be written; 2 a bad argument, model
        file or weights file.
        """;

    /// <summary>Runs <c>nabla export</c> with <paramref name="args"/> (the words after <c>export</c>).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error) => NablaCommandLine.Invoke(["export", .. args], output, error);

    /// <summary>The <c>export</c> command: its options and the action that runs <see cref="Export"/>.</summary>
    internal static Command Create()
    {
        string[] names = [.. BuiltinModels.Names.Concat(SummaryCommand.Builtins).Distinct()];
        var model = CliOptions.Positional("model", "MODEL", $"a built-in model ({string.Join(", ", names)}), a model file (.yaml), or a run folder of nabla train");
        model.CompletionSources.Add(names);
        var weights = CliOptions.Text("--weights", "FILE", "a safetensors state dict (model.safetensors, or a checkpoint); default: a run folder's model.safetensors, else the seeded initialisation");
        var outPath = CliOptions.Text("--out", "FILE", "the .onnx file (default MODEL.onnx; in a run folder, its model.onnx)");
        var input = new Option<Shape?>("--input")
        {
            HelpName = "1x32x32", Description = "per-sample input shape (default: the model file's input:, or the built-in model's)",
            CustomParser = r =>
            {
                try
                {
                    return SummaryCommand.ParseShape(r.Tokens.Count > 0 ? r.Tokens[^1].Value : "");
                }
                catch (ArgumentException e)
                {
                    r.AddError(e.Message);
                    return null;
                }
            },
        };
        var seed = CliOptions.Long("--seed", "S", "initialisation seed, as nabla train's (default 0)");
        var command = new Command("export", "Write a model as an ONNX file (opset 17, dynamic batch) for ONNX Runtime and other serving tools.")
        {
            model, weights, outPath, input, seed,
        };
        command.SetAction(r => Export(r.GetValue(model)!, r.GetValue(weights), r.GetValue(outPath), r.GetValue(input), r.GetValue(seed) ?? 0,
            r.InvocationConfiguration.Output, r.InvocationConfiguration.Error));
        return command;
    }

    private static int Export(string model, string? weights, string? outPath, Shape? input, long seed, TextWriter output, TextWriter error)
    {
        Module module;
        Shape perSample;
        string target;
        try
        {
            (module, perSample, string? defaultWeights, string defaultOut) = Resolve(model, input, seed);
            target = outPath ?? defaultOut;
            if ((weights ?? defaultWeights) is { } file)
            {
                var state = Safetensors.Load(file).Tensors.Where(kv => !kv.Key.StartsWith(Checkpoint.OptimizerPrefix, StringComparison.Ordinal))
                    .ToDictionary(kv => kv.Key, kv => kv.Value);
                module.LoadStateDict(state);
            }
        }
        catch (Exception e) when (e is InvalidFileException or IOException or UnauthorizedAccessException or JsonException)
        {
            error.WriteLine($"nabla export: {e.Message}");
            return NablaCommandLine.UsageError;
        }

        try
        {
            var proto = OnnxExport.Build(module, perSample, null);
            AtomicFile.Write(target, proto.ToByteArray());
            var graph = proto.Graph;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"nabla export: wrote {target}: {module.Parameters().Sum(p => p.Numel):N0} parameters, {graph.Node.Count} nodes, opset {OnnxExport.Opset}; ") +
                $"{Describe(graph.Input[0])} -> {Describe(graph.Output[0])}");
            return 0;
        }
        catch (Exception e) when (e is NotSupportedException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"nabla export: {e.Message}");
            return 1;
        }
    }

    /// <summary>The module (seeded), its per-sample input shape, the weights a run folder holds, and the default output file.</summary>
    private static (Module Module, Shape Input, string? Weights, string Out) Resolve(string model, Shape? input, long seed)
    {
        if (Directory.Exists(model))
        {
            return RunFolder(model, input, seed);
        }

        if (BuiltinModels.Names.Contains(model))
        {
            int size = BuiltinModels.InputSize(model);
            return (BuiltinModels.Create(model, new Generator(seed)), input ?? new Shape(1, size, size), null, model + ".onnx");
        }

        if (!File.Exists(model) && !SummaryCommand.Builtins.Contains(model.ToLowerInvariant().Replace("-", "", StringComparison.Ordinal)))
        {
            string[] names = [.. BuiltinModels.Names.Concat(SummaryCommand.Builtins).Distinct()];
            throw new ArgumentException($"'{model}' is neither a built-in model ({string.Join(", ", names)}) nor a model file or run folder{DidYouMean.Suggest(model, names)}");
        }

        var definition = SummaryCommand.Resolve(model);
        var shape = input ?? definition.InputShape ?? throw new ArgumentException($"{model}: the file gives no input shape; pass one, e.g. --input 3x224x224");
        Generator.Default.ManualSeed(seed);
        return (definition.Build(), shape, null, Path.GetFileNameWithoutExtension(model) + ".onnx");
    }

    /// <summary>
    /// A run folder of <c>nabla train</c>: its model file (model.yaml) when it has one, else the model its metrics.json
    /// names, built with the run's seed; the weights are its model.safetensors (else its checkpoint).
    /// </summary>
    private static (Module, Shape, string?, string) RunFolder(string dir, Shape? input, long seed)
    {
        string yaml = Path.Combine(dir, "model.yaml"), metrics = Path.Combine(dir, "metrics.json");
        string? name = null;
        if (File.Exists(metrics) && JsonNode.Parse(ConfinedFolder.ReadText(metrics)) is JsonObject run)
        {
            name = run["model"]?.GetValue<string>();
            seed = run["seed"]?.GetValue<long>() ?? seed;
        }

        string model = File.Exists(yaml) ? yaml : name ?? throw new ArgumentException($"{dir}: a run folder needs model.yaml or a metrics.json that names the model");
        var (module, shape, _, _) = Resolve(model, input, seed);
        string? weights = new[] { "model.safetensors", "checkpoint.safetensors" }.Select(f => Path.Combine(dir, f)).FirstOrDefault(File.Exists);
        return (module, shape, weights, Path.Combine(dir, "model.onnx"));
    }

    private static string Describe(Nabla.Onnx.Proto.ValueInfoProto v) =>
        $"{v.Name} [{string.Join(", ", v.Type.TensorType.Shape.Dim.Select(d => d.HasDimParam ? d.DimParam : d.DimValue.ToString(CultureInfo.InvariantCulture)))}] " +
        (v.Type.TensorType.ElemType == (int)Nabla.Onnx.Proto.TensorProto.Types.DataType.Int64 ? "int64" : "float32");
}
