using ScottPlot;

namespace NormSharp.Cli.Reporting;

/// <summary>
/// What an experiment writes, and where: CSV tables, PNG plots and its Markdown section, all in one folder
/// (<c>OUT/&lt;experiment&gt;/</c>), plus progress reporting. It remembers every file written so the
/// caller (and the tests) can check them.
/// </summary>
public sealed class ExperimentReporter
{
    private readonly List<string> _files = [];

    /// <summary>A reporter writing into <paramref name="directory"/> (created if missing).</summary>
    public ExperimentReporter(string directory, IProgressSink? progress = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory = System.IO.Directory.CreateDirectory(directory).FullName;
        Progress = progress ?? new SilentProgressSink();
    }

    /// <summary>The experiment's output folder (absolute).</summary>
    public string Directory { get; }

    /// <summary>Progress bars and log lines.</summary>
    public IProgressSink Progress { get; }

    /// <summary>Every file written so far (absolute paths).</summary>
    public IReadOnlyList<string> Files => _files;

    /// <summary>The Markdown section, once <see cref="WriteSection"/> has run.</summary>
    public MarkdownSection? Section { get; private set; }

    /// <summary>The absolute path of <paramref name="fileName"/> in the output folder.</summary>
    public string PathOf(string fileName) => Path.Combine(Directory, fileName);

    /// <summary>Saves <paramref name="table"/> as <paramref name="fileName"/>.</summary>
    public string WriteCsv(string fileName, CsvTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        string path = PathOf(fileName);
        table.Save(path);
        return Remember(path);
    }

    /// <summary>Renders <paramref name="plot"/> to <paramref name="fileName"/> as PNG.</summary>
    public string SavePng(string fileName, Plot plot, int width = 900, int height = 560)
    {
        ArgumentNullException.ThrowIfNull(plot);
        string path = PathOf(fileName);
        plot.SavePng(path, width, height);
        return Remember(path);
    }

    /// <summary>Records a file that a helper wrote itself (e.g. a composed figure).</summary>
    public string Remember(string path)
    {
        if (!_files.Contains(path)) _files.Add(path);
        return path;
    }

    /// <summary>Writes <paramref name="section"/> as <c>&lt;name&gt;.md</c> in the output folder and keeps it
    /// for the combined report.</summary>
    public string WriteSection(string name, MarkdownSection section)
    {
        ArgumentNullException.ThrowIfNull(section);
        Section = section;
        string path = PathOf(name + ".md");
        File.WriteAllText(path, section.Render(level: 1));
        return Remember(path);
    }
}
