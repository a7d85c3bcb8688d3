using NormSharp.Cli.Reporting;

namespace NormSharp.Cli.Experiments;

/// <summary>
/// One reproducible experiment of the seeds (issue 5): it trains what the seed trained and writes its
/// CSV data, PNG plots and one Markdown section through an <see cref="ExperimentReporter"/>.
/// </summary>
public interface IExperiment
{
    /// <summary>The name used on the command line (<c>normsharp reproduce NAME</c>).</summary>
    string Name { get; }

    /// <summary>One line saying what is reproduced and from which seed.</summary>
    string Description { get; }

    /// <summary>Runs the experiment and writes every file it produces into <paramref name="reporter"/>'s folder.</summary>
    void Run(ExperimentOptions options, ExperimentReporter reporter);
}
