using System.Globalization;
using System.Text.RegularExpressions;

namespace NormSharp.Cli.Transfer;

/// <summary>
/// Seed 002's TensorFlow scope names for an MLP built by <c>ModelZoo.Mlp</c> with BN: hidden layer k
/// (1-based) is <c>hiddenK</c> (its Dense as <c>hiddenK.dense.*</c>, its BN as <c>hiddenK.bn.*</c>), the
/// output layer <c>logits.*</c>. The Sequential's own names are positional ("3.weight" = hidden2's
/// Dense): this mapping is the seed's "dictionary from the original model's variable names", so a file
/// saved with these names is restored with the seed's regular expression <c>hidden[123]</c>.
/// </summary>
public static partial class SeedLayerNames
{
    /// <summary>Layers per hidden block of a BN MLP: Dense, BatchNorm1d, activation.</summary>
    public const int BlockSize = 3;

    /// <summary>The seed name of positional state key <paramref name="key"/> of an MLP with <paramref name="hiddenLayers"/> hidden layers.</summary>
    public static string ToSeed(string key, int hiddenLayers)
    {
        var match = Positional().Match(key);
        if (!match.Success) throw new ArgumentException($"'{key}' is not a positional Sequential key like '3.weight'", nameof(key));
        int index = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        string rest = match.Groups[2].Value;
        int block = index / BlockSize, offset = index % BlockSize;
        if (block >= hiddenLayers) return "logits." + rest;
        return offset switch
        {
            0 => $"hidden{block + 1}.dense.{rest}",
            1 => $"hidden{block + 1}.bn.{rest}",
            _ => throw new ArgumentException($"'{key}' belongs to an activation layer, which has no state", nameof(key)),
        };
    }

    /// <summary>The positional key of seed name <paramref name="name"/> (inverse of <see cref="ToSeed"/>).</summary>
    public static string ToPositional(string name, int hiddenLayers)
    {
        var match = Seed().Match(name);
        if (!match.Success) throw new ArgumentException($"'{name}' is not a seed name like 'hidden2.bn.weight' or 'logits.bias'", nameof(name));
        if (match.Groups[1].Success)
        {
            int block = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) - 1;
            int offset = match.Groups[2].Value == "dense" ? 0 : 1;
            return $"{block * BlockSize + offset}.{match.Groups[3].Value}";
        }
        return $"{hiddenLayers * BlockSize}.{match.Groups[3].Value}";
    }

    /// <summary>The state dict of a model under seed names.</summary>
    public static Dictionary<string, Tensor> Rename(IReadOnlyDictionary<string, Tensor> state, int hiddenLayers)
    {
        ArgumentNullException.ThrowIfNull(state);
        var renamed = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, value) in state) renamed[ToSeed(key, hiddenLayers)] = value;
        return renamed;
    }

    [GeneratedRegex(@"^(\d+)\.(.+)$")]
    private static partial Regex Positional();

    [GeneratedRegex(@"^(?:hidden(\d+)\.(dense|bn)|logits)\.(.+)$")]
    private static partial Regex Seed();
}
