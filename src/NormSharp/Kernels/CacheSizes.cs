namespace NormSharp.Kernels;

/// <summary>The per-core L2 of the machine, for kernels whose schedule (never their arithmetic) depends on what fits:
/// read once from Linux's sysfs (<c>/sys/devices/system/cpu/cpu0/cache/index*/</c>); elsewhere, or when it cannot be
/// read, a conservative default.</summary>
internal static class CacheSizes
{
    /// <summary>Assumed where the L2 size cannot be read: the smallest per-core L2 of the x64 server cores NormSharp has
    /// been measured on (Zen 3, 512 KB).</summary>
    private const long DefaultL2 = 512 * 1024;

    private static readonly Lazy<long> s_l2 = new(() => ReadLevel(2) ?? DefaultL2);

    /// <summary>Bytes of L2 per core.</summary>
    public static long L2PerCore => s_l2.Value;

    private static long? ReadLevel(int level)
    {
        const string root = "/sys/devices/system/cpu/cpu0/cache";
        try
        {
            if (!Directory.Exists(root)) return null;
            string wanted = level.ToString(System.Globalization.CultureInfo.InvariantCulture);
            foreach (var dir in Directory.EnumerateDirectories(root, "index*"))
            {
                if (File.ReadAllText(Path.Combine(dir, "level")).Trim() != wanted) continue;
                if (File.ReadAllText(Path.Combine(dir, "type")).Trim() is not ("Unified" or "Data")) continue;
                return ParseSize(File.ReadAllText(Path.Combine(dir, "size")).Trim());
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }

    /// <summary>A sysfs cache size ("2048K", "32M", or bytes), or null when it is not one.</summary>
    internal static long? ParseSize(string text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        long scale = char.ToUpperInvariant(text[^1]) switch { 'K' => 1024, 'M' => 1024 * 1024, 'G' => 1024L * 1024 * 1024, _ => 1 };
        var digits = scale == 1 ? text : text[..^1];
        return long.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long v) && v > 0
            ? v * scale
            : null;
    }
}
