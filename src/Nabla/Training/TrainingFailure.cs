using System.Globalization;
using System.Text.Json.Nodes;

namespace Nabla.Training;

/// <summary>Why <see cref="Trainer.Fit"/> stopped a run as failed.</summary>
public enum FailureKind
{
    /// <summary>A batch loss was NaN or ±∞.</summary>
    NonFiniteLoss,

    /// <summary>The loss was finite but a parameter's gradient held NaN or ±∞.</summary>
    NonFiniteGradient,

    /// <summary>The optimizer step turned finite weights and gradients into NaN or ±∞ weights (an overflow: the rate is too large).</summary>
    NonFiniteWeights,

    /// <summary>A batch loss rose above <see cref="Trainer.DivergenceFactor"/> times the run's first batch loss.</summary>
    Divergence,
}

/// <summary>A failed run: what went wrong, where, and (for a NaN) the op and layer that made the first one.</summary>
/// <param name="Kind">The stop rule that fired.</param>
/// <param name="Epoch">The epoch (from 1) of the failing batch.</param>
/// <param name="Batch">The batch (from 1) within the epoch.</param>
/// <param name="Loss">The failing batch's loss.</param>
/// <param name="Detail">What was found, in words (the first non-finite gradient, the blow-up ratio, ...).</param>
/// <param name="Op">
/// The op that made the first non-finite value (<c>log</c>, <c>conv2d</c>, or <c>SGD step</c> for an optimizer
/// overflow), or null (divergence, or nothing to blame).
/// </param>
/// <param name="Layer">The module path of that op's layer (<c>conv1</c>, <c>0</c>), or null when unknown.</param>
/// <param name="Anomaly">
/// The exception of <see cref="Autograd.DetectAnomaly"/> that named <paramref name="Op"/>, when the failing batch was
/// run again under it; null otherwise.
/// </param>
public sealed record TrainingFailure(FailureKind Kind, int Epoch, int Batch, double Loss, string Detail, string? Op = null,
    string? Layer = null, AnomalyException? Anomaly = null)
{
    /// <summary>One line for a person: where it stopped, why, and which op and layer made the first NaN.</summary>
    public string Message => string.Create(CultureInfo.InvariantCulture, $"training failed at epoch {Epoch}, batch {Batch}: {Detail}")
        + (Anomaly is { } a ? $"; first non-finite value: {a.Message["anomaly: ".Length..]}" : "");

    /// <summary>The failure as JSON (<c>kind</c>, <c>epoch</c>, <c>batch</c>, <c>loss</c>, <c>message</c>, and the anomaly's <c>op</c>, <c>phase</c>, <c>layer</c>).</summary>
    public JsonObject ToJson()
    {
        var o = new JsonObject
        {
            ["kind"] = Kind.ToString(), ["epoch"] = Epoch, ["batch"] = Batch, ["loss"] = JsonMetric.Value(Loss), ["message"] = Message,
        };
        o["op"] = Op;
        o["layer"] = Layer;
        if (Anomaly is { } a)
        {
            o["phase"] = a.Phase.ToString().ToLowerInvariant();
            o["groups"] = new JsonArray(a.Groups.Select(g => (JsonNode)g).ToArray());
        }

        return o;
    }
}

/// <summary>
/// How metrics files write numbers: finite values as JSON numbers, NaN and ±∞ (which JSON has no numbers for) as the
/// strings <c>"NaN"</c>, <c>"Infinity"</c> and <c>"-Infinity"</c>, the spelling System.Text.Json reads back with
/// <c>JsonNumberHandling.AllowNamedFloatingPointLiterals</c> (and JavaScript's <c>Number(s)</c>, Python's <c>float(s)</c>).
/// </summary>
public static class JsonMetric
{
    /// <summary>A JSON number, or the string naming the non-finite value.</summary>
    public static JsonNode Value(double v) => double.IsFinite(v) ? JsonValue.Create(v) : JsonValue.Create(v.ToString(CultureInfo.InvariantCulture));

    /// <summary>
    /// A copy of <paramref name="node"/> in which every non-finite number (which <c>ToJsonString</c> refuses) is
    /// replaced by its string, at any depth.
    /// </summary>
    public static JsonNode? Sanitize(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => new JsonObject(o.Select(kv => KeyValuePair.Create(kv.Key, Sanitize(kv.Value)))),
        JsonArray a => new JsonArray(a.Select(Sanitize).ToArray()),
        JsonValue v when v.TryGetValue(out double d) => Value(d),
        JsonValue v when v.TryGetValue(out float f) => Value(f),
        _ => node.DeepClone(),
    };
}
