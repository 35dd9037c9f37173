using System.Text;
using System.Text.Json;

namespace Nabla.Analysis;

/// <summary>
/// Writes a <see cref="ModelSummary"/> or <see cref="ModelComparison"/> as JSON. Field names and units are
/// documented in docs/summary.md: counts are plain integers, sizes in bytes, shapes per sample.
/// </summary>
public static class SummaryJson
{
    /// <summary>The summary as an indented JSON document.</summary>
    public static string ToJson(ModelSummary summary) => Write(w => WriteSummary(w, summary));

    /// <summary>The comparison as an indented JSON document.</summary>
    public static string ToJson(ModelComparison comparison) => Write(w =>
    {
        w.WriteStartObject();
        w.WritePropertyName("baseline");
        WriteSummary(w, comparison.Baseline);
        w.WritePropertyName("candidate");
        WriteSummary(w, comparison.Candidate);
        w.WriteStartObject("saving");
        w.WriteNumber("params", comparison.ParamsSaved);
        w.WriteNumber("macs", comparison.MacsSaved);
        Ratio(w, "params_ratio", comparison.ParamsRatio);
        Ratio(w, "macs_ratio", comparison.MacsRatio);
        w.WriteEndObject();
        w.WriteEndObject();
    });

    private static void Ratio(Utf8JsonWriter w, string name, double v)
    {
        if (double.IsFinite(v))
        {
            w.WriteNumber(name, Math.Round(v, 6));
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static string Write(Action<Utf8JsonWriter> body)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            body(w);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteShape(Utf8JsonWriter w, string name, Shape s)
    {
        w.WriteStartArray(name);
        foreach (int d in s)
        {
            w.WriteNumberValue(d);
        }

        w.WriteEndArray();
    }

    private static void WriteRf(Utf8JsonWriter w, ReceptiveField? rf)
    {
        if (rf is null)
        {
            w.WriteNull("receptive_field");
            return;
        }

        w.WriteStartObject("receptive_field");
        w.WriteNumber("size", rf.Size);
        w.WriteNumber("jump", rf.Jump);
        w.WriteNumber("start", rf.Start);
        w.WriteNumber("spatial_dims", rf.SpatialDims);
        if (rf.SpatialDims == 2)
        {
            w.WriteStartArray("size_hw");
            w.WriteNumberValue(rf.Height.Size);
            w.WriteNumberValue(rf.Width.Size);
            w.WriteEndArray();
        }

        if (rf is { SpatialDims: 3, Depth: { } depth })
        {
            w.WriteStartArray("size_dhw");
            w.WriteNumberValue(depth.Size);
            w.WriteNumberValue(rf.Height.Size);
            w.WriteNumberValue(rf.Width.Size);
            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    private static void WriteSummary(Utf8JsonWriter w, ModelSummary s)
    {
        w.WriteStartObject();
        w.WriteString("name", s.Name);
        WriteShape(w, "input_shape", s.InputShape);
        WriteShape(w, "output_shape", s.OutputShape);
        w.WriteString("conventions", SummaryRenderer.Conventions);
        w.WriteStartObject("totals");
        var t = s.Totals;
        w.WriteNumber("params", t.Params);
        w.WriteNumber("trainable", t.Trainable);
        w.WriteNumber("non_trainable", t.NonTrainable);
        w.WriteNumber("macs", t.Macs);
        w.WriteNumber("flops", t.Flops);
        w.WriteNumber("auxiliary_params", t.AuxiliaryParams);
        w.WriteNumber("auxiliary_macs", t.AuxiliaryMacs);
        w.WriteNumber("input_bytes", t.InputBytes);
        w.WriteNumber("activation_bytes", t.ActivationBytes);
        w.WriteNumber("param_bytes", t.ParamBytes);
        WriteRf(w, t.ReceptiveField);
        w.WriteEndObject();
        w.WriteStartArray("layers");
        foreach (var r in s.Rows)
        {
            w.WriteStartObject();
            w.WriteString("path", r.Path);
            w.WriteString("name", r.Name);
            w.WriteString("type", r.Type);
            w.WriteNumber("depth", r.Depth);
            w.WriteBoolean("container", r.IsContainer);
            w.WriteBoolean("auxiliary", r.IsAuxiliary);
            WriteShape(w, "input_shape", r.InputShape);
            WriteShape(w, "output_shape", r.OutputShape);
            w.WriteNumber("params", r.Params);
            w.WriteNumber("trainable", r.Trainable);
            w.WriteNumber("non_trainable", r.NonTrainable);
            w.WriteNumber("macs", r.Macs);
            w.WriteNumber("flops", r.Flops);
            if (r.MacsPerStep is long st)
            {
                w.WriteNumber("macs_per_step", st);
            }

            w.WriteNumber("activation_bytes", r.ActivationBytes);
            WriteRf(w, r.ReceptiveField);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }
}
