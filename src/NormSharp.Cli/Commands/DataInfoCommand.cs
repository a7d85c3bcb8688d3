using System.CommandLine;
using System.Globalization;
using NormSharp.Data;
using NormSharp.Data.Fetching;
using Spectre.Console;

namespace NormSharp.Cli.Commands;

/// <summary><c>normsharp data info &lt;name&gt;</c>: counts, shape, class histogram and per-file SHA-256 status.</summary>
internal static class DataInfoCommand
{
    public static Command Create()
    {
        var name = DataCommand.NameArgument();
        var dataDir = DataCommand.DataDirOption();
        var command = new Command("info", "Show a dataset's counts, shape, class histogram and the SHA-256 status of each file.") { name, dataDir };
        command.SetAction(parse =>
        {
            var report = DataCommand.FetchWithProgress(parse.GetValue(name)!, parse.GetValue(dataDir));
            if (report is null) return 1;
            Print(report);
            return 0;
        });
        return command;
    }

    private static void Print(FetchReport report)
    {
        var d = report.Dataset;
        // Laid out to fit 80 columns (redirected output): the digest on two lines of 32 hex digits.
        var files = new Table().Title($"[bold]{d.Name}[/] in {Markup.Escape(report.Directory)}")
            .AddColumn(new TableColumn("File").NoWrap()).AddColumn(new TableColumn("SHA-256").NoWrap())
            .AddColumn(new TableColumn("Status").NoWrap());
        foreach (var file in d.Files)
        {
            // Ensure has just hashed every file (cache hits included), so its report is the current status.
            long bytes = new FileInfo(report.PathOf(file)).Length;
            files.AddRow(file.Name, file.Sha256[..32] + "\n" + file.Sha256[32..],
                $"[green]verified[/]\n{bytes.ToString("N0", CultureInfo.InvariantCulture)} B");
        }
        files.Caption($"sources: {Markup.Escape(string.Join(", ", report.Origins.Values.Distinct()))}");
        AnsiConsole.Write(files);

        var trainImages = IdxReader.ReadImages(report.PathOf(d.TrainImages));
        var testImages = IdxReader.ReadImages(report.PathOf(d.TestImages));
        var trainLabels = IdxReader.ReadLabels(report.PathOf(d.TrainLabels), d.NumClasses);
        var testLabels = IdxReader.ReadLabels(report.PathOf(d.TestLabels), d.NumClasses);
        var splits = new Table().AddColumns("Split", "Examples", "Image shape", "Flattened", "Labels");
        splits.AddRow("train", trainImages.Count.ToString(CultureInfo.InvariantCulture), $"[[1, {trainImages.Rows}, {trainImages.Columns}]]",
            $"[[{trainImages.PixelsPerImage}]]", trainLabels.Length.ToString(CultureInfo.InvariantCulture));
        splits.AddRow("test", testImages.Count.ToString(CultureInfo.InvariantCulture), $"[[1, {testImages.Rows}, {testImages.Columns}]]",
            $"[[{testImages.PixelsPerImage}]]", testLabels.Length.ToString(CultureInfo.InvariantCulture));
        AnsiConsole.Write(splits);

        var train = Histogram(trainLabels, d.NumClasses);
        var test = Histogram(testLabels, d.NumClasses);
        var classes = new Table().AddColumns("Class", "Name", "Train", "Test");
        for (int c = 0; c < d.NumClasses; c++)
            classes.AddRow(c.ToString(CultureInfo.InvariantCulture), Markup.Escape(d.ClassNames[c]),
                train[c].ToString(CultureInfo.InvariantCulture), test[c].ToString(CultureInfo.InvariantCulture));
        AnsiConsole.Write(classes);
    }

    private static int[] Histogram(byte[] labels, int classes)
    {
        var counts = new int[classes];
        foreach (byte label in labels) counts[label]++;
        return counts;
    }
}
