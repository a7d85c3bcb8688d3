using System.Globalization;
using System.Text;

namespace NormSharp.Cli.Reporting;

/// <summary>
/// The Markdown an experiment writes about itself: a heading, paragraphs, tables and figures. Figures are
/// stored by file name and rendered relative to wherever the Markdown lands (the experiment's folder for
/// its own section, the output root for <c>report.md</c>).
/// </summary>
public sealed class MarkdownSection
{
    private readonly List<Func<string, string>> _blocks = [];

    /// <summary>A section titled <paramref name="title"/>.</summary>
    public MarkdownSection(string title)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        Title = title;
    }

    /// <summary>The heading text.</summary>
    public string Title { get; }

    /// <summary>Every figure file name referenced, in order.</summary>
    public List<string> Figures { get; } = [];

    /// <summary>The row of <c>report.md</c>'s summary table, once <see cref="Summarize"/> has run.</summary>
    public ExperimentSummary? Summary { get; private set; }

    /// <summary>Sets the summary-table row of this experiment (headline figure, seed's claim, verdict).</summary>
    public MarkdownSection Summarize(string headline, string seedClaim, string verdict)
    {
        Summary = new ExperimentSummary(headline, seedClaim, verdict);
        return this;
    }

    /// <summary>A paragraph of Markdown text.</summary>
    public MarkdownSection Paragraph(string text)
    {
        _blocks.Add(_ => text + "\n");
        return this;
    }

    /// <summary>A figure: the image, then its explanation as an italic caption.</summary>
    public MarkdownSection Figure(string fileName, string altText, string explanation)
    {
        Figures.Add(fileName);
        _blocks.Add(prefix => $"![{altText}]({prefix}{fileName})\n\n*{explanation}*\n");
        return this;
    }

    /// <summary>A link to a data file written beside the figures.</summary>
    public MarkdownSection DataLink(string fileName, string what)
    {
        _blocks.Add(prefix => $"Data: [{fileName}]({prefix}{fileName}) — {what}.\n");
        return this;
    }

    /// <summary>A table: header plus rows of already formatted cells.</summary>
    public MarkdownSection Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        var builder = new StringBuilder();
        builder.Append("| ").AppendJoin(" | ", header).Append(" |\n|");
        for (int i = 0; i < header.Count; i++) builder.Append(" --- |");
        builder.Append('\n');
        foreach (var row in rows)
        {
            if (row.Count != header.Count)
                throw new ArgumentException($"table row has {row.Count} cells but the header has {header.Count}", nameof(rows));
            builder.Append("| ").AppendJoin(" | ", row).Append(" |\n");
        }
        string table = builder.ToString();
        _blocks.Add(_ => table);
        return this;
    }

    /// <summary>The section as Markdown, headed at <paramref name="level"/>, figure paths prefixed with
    /// <paramref name="pathPrefix"/> (e.g. <c>"lenet/"</c>).</summary>
    public string Render(int level = 2, string pathPrefix = "")
    {
        var builder = new StringBuilder();
        builder.Append('#', level).Append(' ').Append(Title).Append("\n\n");
        foreach (var block in _blocks) builder.Append(block(pathPrefix)).Append('\n');
        return builder.ToString();
    }

    /// <summary>Formats a number for a table cell (invariant culture, <paramref name="format"/>); NaN as "—".</summary>
    public static string Cell(double value, string format = "0.000") =>
        double.IsNaN(value) ? "—" : value.ToString(format, CultureInfo.InvariantCulture);
}
