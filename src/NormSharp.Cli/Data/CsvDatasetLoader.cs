using System.Globalization;
using CsvHelper;
using NormSharp.Data;

namespace NormSharp.Cli.Data;

/// <summary>
/// Reads user data from CSV with CsvHelper (RFC 4180 quoting, any delimiter): numeric feature columns
/// plus one label column. Lives in the CLI so the engine stays free of third-party packages.
/// Every problem is a <see cref="CsvDataException"/> with the file and line.
/// </summary>
public static class CsvDatasetLoader
{
    /// <summary>Reads <paramref name="path"/> as a dataset.</summary>
    public static CsvDataset Load(string path, CsvDatasetOptions? options = null)
    {
        options ??= new CsvDatasetOptions();
        if (!File.Exists(path)) throw new FileNotFoundException($"CSV file '{path}' does not exist", path);
        using var reader = new StreamReader(path);
        return Load(reader, path, options);
    }

    /// <summary>Reads CSV text from <paramref name="reader"/>; <paramref name="path"/> names it in errors.</summary>
    public static CsvDataset Load(TextReader reader, string path, CsvDatasetOptions options)
    {
        if (options.Delimiter.Length != 1 || options.Delimiter[0] > 127)
            throw new ArgumentException($"delimiter '{options.Delimiter}' must be one ASCII character", nameof(options));
        var csvOptions = new CsvReaderOptions
        {
            HasHeader = false, // detected below, so a header can be recognised rather than assumed
            Separator = options.Delimiter[0],
            TrimWhitespace = true,
            SkipEmptyLines = true,
            TrackLineNumbers = true, // error messages point at the file's own lines
            MalformedData = CsvMalformedDataHandling.Throw,
        };
        var rows = new List<(long Line, string[] Fields)>();
        using (var csv = CsvReader.Create(reader, csvOptions, leaveOpen: true))
        {
            try
            {
                while (csv.Read())
                {
                    var fields = new string[csv.FieldCount];
                    for (int i = 0; i < fields.Length; i++) fields[i] = csv.GetString(i);
                    rows.Add((csv.LineNumber, fields));
                }
            }
            catch (CsvFormatException e)
            {
                throw new CsvDataException(path, e.LineNumber, $"malformed CSV: {e.Message}");
            }
        }
        if (rows.Count == 0) throw new CsvDataException(path, 0, "the file is empty");

        bool header = options.HasHeader ?? !AllNumeric(rows[0].Fields);
        int width = rows[0].Fields.Length;
        if (width < 2) throw new CsvDataException(path, rows[0].Line, $"{width} column; need at least one feature and a label");
        string[] names = header ? rows[0].Fields : Enumerable.Range(0, width).Select(i => "column" + i).ToArray();
        int labelColumn = FindLabelColumn(path, options.LabelColumn, names, header);
        int first = header ? 1 : 0;
        int count = rows.Count - first;
        if (count == 0) throw new CsvDataException(path, 0, "the header is not followed by any data row");

        var features = new Tensor(count, width - 1);
        var x = features.Span;
        var labels = new string[count];
        for (int r = 0; r < count; r++)
        {
            var (line, fields) = rows[first + r];
            if (fields.Length != width)
                throw new CsvDataException(path, line, $"{fields.Length} fields, expected {width} (as {(header ? "the header" : "line " + rows[0].Line)})");
            int j = 0;
            for (int c = 0; c < width; c++)
            {
                if (c == labelColumn) { labels[r] = fields[c]; continue; }
                if (!TryParse(fields[c], out float value))
                    throw new CsvDataException(path, line, $"column '{names[c]}' ({c}): '{fields[c]}' is not a number");
                x[r * (width - 1) + j++] = value;
            }
            if (labels[r].Length == 0) throw new CsvDataException(path, line, $"label column '{names[labelColumn]}' is empty");
        }
        var featureNames = names.Where((_, c) => c != labelColumn).ToArray();
        string name = Path.GetFileNameWithoutExtension(path);
        return options.Task == CsvTask.Regression
            ? new CsvDataset(Regression(path, name, features, labels, rows, first), featureNames, [])
            : Classification(path, name, features, labels, rows, first, featureNames);
    }

    private static InMemoryDataset Regression(string path, string name, Tensor features, string[] labels,
        List<(long Line, string[] Fields)> rows, int first)
    {
        var y = new Tensor(labels.Length, 1);
        var t = y.Span;
        for (int r = 0; r < labels.Length; r++)
            if (!TryParse(labels[r], out t[r]))
                throw new CsvDataException(path, rows[first + r].Line, $"target '{labels[r]}' is not a number");
        return new InMemoryDataset(name, features, y);
    }

    private static CsvDataset Classification(string path, string name, Tensor features, string[] labels,
        List<(long Line, string[] Fields)> rows, int first, string[] featureNames)
    {
        var y = new Tensor(labels.Length);
        var t = y.Span;
        if (Array.TrueForAll(labels, l => TryParse(l, out _)))
        {
            // Numeric labels are class indices themselves: they must be non-negative integers.
            int max = 0;
            for (int r = 0; r < labels.Length; r++)
            {
                TryParse(labels[r], out float v);
                if (v < 0 || v != MathF.Floor(v) || v > 1 << 20)
                    throw new CsvDataException(path, rows[first + r].Line, $"label '{labels[r]}' is not a class index (a non-negative integer)");
                t[r] = v;
                max = Math.Max(max, (int)v);
            }
            var indexNames = Enumerable.Range(0, max + 1).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
            return new CsvDataset(new InMemoryDataset(name, features, y, max + 1), featureNames, indexNames);
        }
        // Named labels: classes in ordinal order, so the mapping does not depend on row order.
        var classNames = labels.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < classNames.Length; i++) index[classNames[i]] = i;
        for (int r = 0; r < labels.Length; r++) t[r] = index[labels[r]];
        return new CsvDataset(new InMemoryDataset(name, features, y, classNames.Length), featureNames, classNames);
    }

    private static int FindLabelColumn(string path, string? label, string[] names, bool header)
    {
        if (label is null) return names.Length - 1;
        if (header)
            for (int c = 0; c < names.Length; c++)
                if (string.Equals(names[c], label, StringComparison.Ordinal)) return c;
        if (int.TryParse(label, NumberStyles.None, CultureInfo.InvariantCulture, out int index) && index < names.Length) return index;
        throw new CsvDataException(path, 0,
            $"label column '{label}' not found; columns are {(header ? string.Join(", ", names) : $"0..{names.Length - 1} (no header)")}");
    }

    private static bool AllNumeric(string[] fields) => Array.TrueForAll(fields, f => TryParse(f, out _));

    private static bool TryParse(string text, out float value) =>
        float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && float.IsFinite(value);
}
