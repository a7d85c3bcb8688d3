using System.Globalization;
using CsvHelper;

namespace NormSharp.Cli.Reporting;

/// <summary>
/// A table of experiment results written as RFC 4180 CSV with the invariant culture (numbers with a dot,
/// so that pandas, R and spreadsheets read them the same everywhere).
/// </summary>
public sealed class CsvTable
{
    private readonly List<object?[]> _rows = [];

    /// <summary>A table with the given column names.</summary>
    public CsvTable(params string[] columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        if (columns.Length == 0) throw new ArgumentException("a CSV table needs at least one column", nameof(columns));
        Columns = columns;
    }

    /// <summary>The header.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>The rows added so far, in order.</summary>
    public IReadOnlyList<object?[]> Rows => _rows;

    /// <summary>Adds one row; it must have one value per column (null writes an empty field).</summary>
    public void Add(params object?[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != Columns.Count)
            throw new ArgumentException($"row has {values.Length} values but the table has {Columns.Count} columns ({string.Join(", ", Columns)})", nameof(values));
        _rows.Add(values);
    }

    /// <summary>Writes the header and every row to <paramref name="path"/>.</summary>
    public void Save(string path)
    {
        using var writer = new StreamWriter(path);
        using var csv = CsvWriter.Create(writer, new CsvWriterOptions(), leaveOpen: true);
        foreach (var column in Columns) csv.WriteField(column);
        csv.EndRecord();
        foreach (var row in _rows)
        {
            foreach (var value in row) csv.WriteField(Format(value));
            csv.EndRecord();
        }
        csv.Flush();
    }

    /// <summary>Invariant text of a cell: floats with enough digits to read them back, NaN as empty.</summary>
    internal static string Format(object? value) => value switch
    {
        null => "",
        double d when double.IsNaN(d) => "",
        float f when float.IsNaN(f) => "",
        double d => d.ToString("G7", CultureInfo.InvariantCulture),
        float f => f.ToString("G7", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
