using System.Globalization;
using BenchmarkDotNet.Running;
using NormSharp.Bench;

// BenchmarkDotNet entry: `dotnet run -c Release --project bench/NormSharp.Bench -- --filter '*'`.
// `-- folding [rounds]`: the alternating BN-folding measurement (FoldingSpeedup).
// `-- ort [rounds] [--threads T] [--quick] [--profile] [--ort-no-spin] [--ort-persistent]`: folded-model inference against ONNX Runtime (OrtComparison).
if (args.Length >= 1 && args[0] == "folding")
{
    FoldingSpeedup.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200);
    return;
}
if (args.Length >= 1 && args[0] == "ort")
{
    OrtComparison.Run(args[1..]);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
