using System.Globalization;
using Nabla.Formats;

namespace Nabla.Data;

/// <summary>
/// Reads a numeric CSV file into a <see cref="TensorDataset"/>: one sample per line, one column holding the
/// integer class label and the others the features (the layout of Kaggle's <c>mnist_train.csv</c>: label first).
/// </summary>
/// <remarks>
/// A first line that is not numeric is taken as a header. Errors are <see cref="InvalidFileException"/>s naming
/// the file, the line and the column (a wrong field count, a non-number, a negative or fractional label), without
/// quoting the field. The read is bounded by <see cref="ReadLimits.MaxBytes"/>: the file (a line is held as UTF-16
/// text, two bytes a character) and the rows × columns of Float32 features.
/// </remarks>
public static class Csv
{
    /// <summary>Loads the file.</summary>
    /// <param name="path">The CSV file.</param>
    /// <param name="labelColumn">The label's column (0-based; -1 for the last).</param>
    /// <param name="scale">Multiplies every feature (1/255 for pixel values).</param>
    /// <param name="featureShape">The shape of one sample's features (e.g. <c>[1, 28, 28]</c>); default a flat vector.</param>
    public static TensorDataset Load(string path, int labelColumn = 0, double scale = 1.0, int[]? featureShape = null)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: file not found", path);
        }

        ReadLimits.CheckBytes(new FileInfo(path).Length, sizeof(char), path, null);
        var features = new List<float>();
        var labels = new List<long>();
        int fields = -1, lineNo = 0, firstDataLine = 0;
        foreach (var rawLine in File.ReadLines(path))
        {
            lineNo++;
            string line = rawLine.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            var parts = line.Split(',');
            if (fields < 0)
            {
                if (!double.TryParse(parts[0].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out _) && labels.Count == 0 && firstDataLine == 0)
                {
                    firstDataLine = -1; // a header: skip it, but only once
                    fields = parts.Length;
                    continue;
                }

                fields = parts.Length;
            }

            if (parts.Length != fields)
            {
                throw new InvalidFileException(path, $"line {lineNo}", $"{parts.Length} fields, expected {fields} like the lines before it (truncated or corrupt file?)");
            }

            if (fields < 2)
            {
                throw new InvalidFileException(path, $"line {lineNo}", $"{fields} field per line; need a label and at least one feature");
            }

            ReadLimits.CheckBytes((long)(labels.Count + 1) * fields, sizeof(float), path, $"line {lineNo}");
            int lc = labelColumn < 0 ? fields + labelColumn : labelColumn;
            if (lc < 0 || lc >= fields)
            {
                throw new ArgumentException($"{path}: label column {labelColumn} does not exist in lines of {fields} fields", nameof(labelColumn));
            }

            for (int c = 0; c < fields; c++)
            {
                if (!double.TryParse(parts[c].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
                {
                    throw new InvalidFileException(path, $"line {lineNo}, column {c + 1}", "the field is not a finite number");
                }

                if (c == lc)
                {
                    if (v < 0 || v != Math.Floor(v))
                    {
                        throw new InvalidFileException(path, $"line {lineNo}, column {c + 1}", "the label is not a non-negative integer");
                    }

                    labels.Add((long)v);
                }
                else
                {
                    features.Add((float)(v * scale));
                }
            }
        }

        if (labels.Count == 0)
        {
            throw new InvalidFileException(path, null, "the file has no data lines");
        }

        int perSample = fields - 1;
        var shape = featureShape ?? [perSample];
        if (shape.Aggregate(1L, (a, b) => a * b) != perSample)
        {
            throw new ArgumentException($"{path}: feature shape [{string.Join(", ", shape)}] does not hold the {perSample} features per line", nameof(featureShape));
        }

        return new TensorDataset(Tensor.FromArray(features.ToArray(), new Shape([labels.Count, .. shape])), Tensor.FromArray(labels.ToArray()));
    }
}
