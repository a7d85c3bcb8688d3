using System.CommandLine;
using NormSharp.Data;
using SkiaSharp;

namespace NormSharp.Cli.Commands;

/// <summary><c>normsharp data show &lt;name&gt; --index i --out x.png</c>: writes one example as a grayscale PNG.</summary>
internal static class DataShowCommand
{
    public static Command Create()
    {
        var name = DataCommand.NameArgument();
        var dataDir = DataCommand.DataDirOption();
        var index = new Option<int>("--index") { Description = "Example index within the split.", Required = true };
        var split = new Option<string>("--split") { Description = "train or test.", DefaultValueFactory = _ => "train" };
        split.AcceptOnlyFromAmong("train", "test");
        var output = new Option<string>("--out") { Description = "PNG file to write.", Required = true };
        var scale = new Option<int>("--scale") { Description = "Pixels per image pixel (nearest neighbour).", DefaultValueFactory = _ => 10 };
        var command = new Command("show", "Write one image of a dataset as a PNG.") { name, dataDir, index, split, output, scale };
        command.SetAction(parse =>
        {
            var report = DataCommand.FetchWithProgress(parse.GetValue(name)!, parse.GetValue(dataDir));
            if (report is null) return 1;
            var d = report.Dataset;
            bool train = parse.GetValue(split) == "train";
            var images = IdxReader.ReadImages(report.PathOf(train ? d.TrainImages : d.TestImages));
            var labels = IdxReader.ReadLabels(report.PathOf(train ? d.TrainLabels : d.TestLabels), d.NumClasses);
            int i = parse.GetValue(index), s = parse.GetValue(scale);
            if (i < 0 || i >= images.Count)
            {
                Console.Error.WriteLine($"error: --index {i} is outside [0, {images.Count}) of {d.Name}/{parse.GetValue(split)}");
                return 2;
            }
            if (s < 1 || s > 64)
            {
                Console.Error.WriteLine($"error: --scale {s} must be in [1, 64]");
                return 2;
            }
            string path = parse.GetValue(output)!;
            WritePng(images.Image(i), images.Rows, images.Columns, s, path);
            Console.WriteLine($"{d.Name}/{parse.GetValue(split)}[{i}]: label {labels[i]} ({d.ClassNames[labels[i]]}) → {Path.GetFullPath(path)}");
            return 0;
        });
        return command;
    }

    /// <summary>Writes 8-bit intensities (0 = black, as MNIST stores ink as high values: white digit on black) as a PNG.</summary>
    internal static void WritePng(ReadOnlySpan<byte> pixels, int rows, int columns, int scale, string path)
    {
        using var bitmap = new SKBitmap(columns * scale, rows * scale, SKColorType.Gray8, SKAlphaType.Opaque);
        var destination = bitmap.GetPixelSpan();
        int stride = bitmap.RowBytes;
        for (int y = 0; y < rows * scale; y++)
            for (int x = 0; x < columns * scale; x++)
                destination[y * stride + x] = pixels[(y / scale) * columns + x / scale];
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        using var file = File.Create(path);
        data.SaveTo(file);
    }
}
