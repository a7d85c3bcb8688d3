using BenchmarkDotNet.Configs;

namespace NormSharp.Bench;

/// <summary>The default configuration plus the <see cref="GflopsColumn"/>.</summary>
public sealed class GflopsConfig : ManualConfig
{
    public GflopsConfig() => AddColumn(new GflopsColumn());
}
