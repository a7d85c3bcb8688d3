using BenchmarkDotNet.Running;

// BenchmarkDotNet entry: `dotnet run -c Release --project bench/NormSharp.Bench -- --filter '*'`.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
