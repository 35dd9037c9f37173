using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json.Nodes;
using Nabla.Formats;
using Nabla.NN;
using Nabla.Training.Plots;

namespace Nabla.Training;

/// <summary>Writes the report files of a training run: metrics (CSV, JSON), curves (PNG) and a model summary (text).</summary>
public static class RunReport
{
    /// <summary>
    /// Writes <c>metrics.csv</c> and <c>metrics.json</c> (the history plus <paramref name="final"/> values). NaN and ±∞
    /// are written as the strings <c>"NaN"</c>, <c>"Infinity"</c>, <c>"-Infinity"</c> in JSON (see <see cref="JsonMetric"/>)
    /// and as <c>NaN</c>, <c>Infinity</c>, <c>-Infinity</c> in CSV.
    /// </summary>
    public static void WriteMetrics(string dir, History history, IReadOnlyDictionary<string, JsonNode?>? final = null)
    {
        CsvLogger.Write(history, Path.Combine(dir, "metrics.csv"));
        var epochs = new JsonArray();
        foreach (var e in history.Epochs)
        {
            var o = new JsonObject();
            foreach (var (k, v) in e)
            {
                o[k] = JsonMetric.Value(v);
            }

            epochs.Add(o);
        }

        var root = new JsonObject();
        foreach (var (k, v) in final ?? new Dictionary<string, JsonNode?>())
        {
            root[k] = JsonMetric.Sanitize(v);
        }

        root["history"] = epochs;

        AtomicFile.WriteText(Path.Combine(dir, "metrics.json"), root.ToJsonString(new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
    }

    /// <summary>Writes <c>loss.png</c> (train and validation loss) and, for classifiers, <c>accuracy.png</c>; returns the files written.</summary>
    public static IReadOnlyList<string> WritePlots(string dir, History history)
    {
        var written = new List<string>();
        void Plot(string file, string title, params (string Key, string Label)[] keys)
        {
            var series = keys.Where(k => history[k.Key].Any(double.IsFinite))
                .Select((k, i) => new Series(k.Label, history[k.Key], LinePlot.Palette[i % LinePlot.Palette.Length])).ToList();
            if (series.Count > 0)
            {
                string path = Path.Combine(dir, file);
                AtomicFile.Write(path, LinePlot.Render(title, "epoch", series));
                written.Add(path);
            }
        }

        Plot("loss.png", "loss", ("loss", "train"), ("val_loss", "test"));
        Plot("accuracy.png", "accuracy", ("accuracy", "train"), ("val_accuracy", "test"));
        return written;
    }

    /// <summary>
    /// A per-layer table (name, type, output shape, parameters, trainable) of a model's direct children, computed
    /// from <see cref="Module.OutputShape"/> for an input of <paramref name="inputShape"/> (batch included).
    /// </summary>
    public static string Summary(Module model, Shape inputShape)
    {
        var rows = new List<string[]> { new[] { "layer", "type", "output shape", "params", "trainable" } };
        var shape = inputShape;
        var children = model.NamedChildren().ToList();
        if (children.Count == 0)
        {
            children.Add(("", model));
        }

        foreach (var (name, m) in children)
        {
            string outShape;
            try
            {
                shape = m.OutputShape(shape);
                outShape = shape.ToString();
            }
            catch (ArgumentException)
            {
                outShape = "?";
            }

            long count = m.Parameters().Sum(p => p.Numel), trainable = m.Parameters().Where(p => p.RequiresGrad).Sum(p => p.Numel);
            rows.Add([name, m.TypeName + (m.ExtraRepr() is { Length: > 0 } e ? $"({e})" : ""), outShape, N(count), N(trainable)]);
        }

        long total = model.Parameters().Sum(p => p.Numel), train = model.Parameters().Where(p => p.RequiresGrad).Sum(p => p.Numel);
        var widths = Enumerable.Range(0, 5).Select(c => rows.Max(r => r[c].Length)).ToArray();
        var sb = new StringBuilder();
        string rule = new('-', widths.Sum() + 8);
        for (int i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            sb.Append(r[0].PadRight(widths[0])).Append("  ").Append(r[1].PadRight(widths[1])).Append("  ")
                .Append(r[2].PadRight(widths[2])).Append("  ").Append(r[3].PadLeft(widths[3])).Append("  ").Append(r[4].PadLeft(widths[4])).Append('\n');
            if (i == 0)
            {
                sb.Append(rule).Append('\n');
            }
        }

        sb.Append(rule).Append('\n');
        sb.Append(CultureInfo.InvariantCulture, $"input {inputShape}; total parameters {N(total)}, trainable {N(train)}, frozen {N(total - train)}\n");
        return sb.ToString();
    }

    private static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);
}
