namespace NormSharp.Kernels;

/// <summary>The plain loop <see cref="FiniteCheck"/> must agree with.</summary>
public static class FiniteCheckReference
{
    /// <summary>Index of the first element that is NaN or ±∞, or −1.</summary>
    public static int IndexOfNonFinite(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i])) return i;
        return -1;
    }
}
