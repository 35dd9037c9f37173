using System.Globalization;
using System.Text;

namespace Nabla.Training;

/// <summary>Classification metrics computed from logits (or scores) of shape <c>(N, C)</c> and Int64 targets <c>(N)</c>.</summary>
public static class Metrics
{
    /// <summary>The fraction of samples whose highest score is the target class.</summary>
    public static double Accuracy(Tensor logits, Tensor targets) => TopKAccuracy(logits, targets, 1);

    /// <summary>The fraction of samples whose target is among the <paramref name="k"/> highest scores.</summary>
    public static double TopKAccuracy(Tensor logits, Tensor targets, int k)
    {
        var (n, _) = Check(logits, targets);
        return n == 0 ? 0 : (double)CountTopK(logits, targets, k) / n;
    }

    /// <summary>The number of samples whose target is among the <paramref name="k"/> highest scores (ties count against).</summary>
    public static long CountTopK(Tensor logits, Tensor targets, int k)
    {
        var (n, c) = Check(logits, targets);
        var s = logits.ToDoubleArray();
        var t = targets.ToInt64Array();
        long hits = 0;
        for (int i = 0; i < n; i++)
        {
            double target = s[(i * c) + t[i]];
            int higher = 0;
            for (int j = 0; j < c; j++)
            {
                double v = s[(i * c) + j];
                if (v > target || (v == target && j < t[i]))
                {
                    higher++;
                }
            }

            hits += higher < k ? 1 : 0;
        }

        return hits;
    }

    /// <summary>The predicted class of each row (argmax over the last dimension).</summary>
    public static long[] Predictions(Tensor logits) => logits.Argmax(-1).ToInt64Array();

    private static (int N, int C) Check(Tensor logits, Tensor targets)
    {
        if (logits.Rank != 2 || targets.Rank != 1 || targets.Shape[0] != logits.Shape[0])
        {
            throw new ArgumentException($"metrics: expected logits (N, C) and targets (N), got {logits.Shape} and {targets.Shape}");
        }

        return (logits.Shape[0], logits.Shape[1]);
    }
}

/// <summary>A confusion matrix: <c>Counts[target, predicted]</c>.</summary>
public sealed class ConfusionMatrix
{
    /// <summary>Creates an empty matrix for <paramref name="numClasses"/> classes.</summary>
    public ConfusionMatrix(int numClasses)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        Counts = new long[numClasses, numClasses];
    }

    /// <summary>The counts, rows = true class, columns = predicted class.</summary>
    public long[,] Counts { get; }

    /// <summary>The number of classes.</summary>
    public int NumClasses => Counts.GetLength(0);

    /// <summary>Adds a batch of logits (N, C) and targets (N).</summary>
    public void Add(Tensor logits, Tensor targets)
    {
        var p = Metrics.Predictions(logits);
        var t = targets.ToInt64Array();
        for (int i = 0; i < t.Length; i++)
        {
            if (t[i] >= 0 && t[i] < NumClasses && p[i] < NumClasses)
            {
                Counts[t[i], p[i]]++;
            }
        }
    }

    /// <summary>The fraction on the diagonal.</summary>
    public double Accuracy
    {
        get
        {
            long diag = 0, total = 0;
            for (int i = 0; i < NumClasses; i++)
            {
                for (int j = 0; j < NumClasses; j++)
                {
                    total += Counts[i, j];
                    diag += i == j ? Counts[i, j] : 0;
                }
            }

            return total == 0 ? 0 : (double)diag / total;
        }
    }

    /// <summary>A text table, true classes down, predicted classes across.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder("true\\pred");
        for (int j = 0; j < NumClasses; j++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{j,6}");
        }

        for (int i = 0; i < NumClasses; i++)
        {
            sb.Append('\n').Append(CultureInfo.InvariantCulture, $"{i,9}");
            for (int j = 0; j < NumClasses; j++)
            {
                sb.Append(CultureInfo.InvariantCulture, $"{Counts[i, j],6}");
            }
        }

        return sb.ToString();
    }
}

/// <summary>The result of <see cref="Trainer.Evaluate"/>.</summary>
/// <param name="Loss">The mean loss per sample.</param>
/// <param name="Accuracy">Top-1 accuracy (NaN when the outputs are not class scores).</param>
/// <param name="TopKAccuracy">Top-k accuracy for the k requested.</param>
/// <param name="K">The k of <paramref name="TopKAccuracy"/>.</param>
/// <param name="Confusion">The confusion matrix, or null when the outputs are not class scores.</param>
/// <param name="Samples">The number of samples evaluated.</param>
public sealed record EvaluationResult(double Loss, double Accuracy, double TopKAccuracy, int K, ConfusionMatrix? Confusion, int Samples);

/// <summary>The metrics of each epoch, by name (<c>loss</c>, <c>accuracy</c>, <c>val_loss</c>, <c>val_accuracy</c>, <c>lr</c>, <c>time_s</c>...).</summary>
public sealed class History
{
    /// <summary>One dictionary per epoch, in order; each holds <c>epoch</c> too.</summary>
    public List<Dictionary<string, double>> Epochs { get; } = [];

    /// <summary>The values of one metric over the epochs (NaN where missing).</summary>
    public double[] this[string metric] => Epochs.Select(e => e.GetValueOrDefault(metric, double.NaN)).ToArray();

    /// <summary>All metric names, in first-seen order.</summary>
    public IReadOnlyList<string> Keys => Epochs.SelectMany(e => e.Keys).Distinct().ToList();
}
