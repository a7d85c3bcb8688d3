namespace NormSharp.Data;

/// <summary>Images read from an IDX3 file: <see cref="Count"/> × <see cref="Rows"/> × <see cref="Columns"/> bytes, row-major.</summary>
public sealed class IdxImages
{
    public IdxImages(byte[] pixels, int count, int rows, int columns)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if ((long)count * rows * columns != pixels.Length)
            throw new ArgumentException($"{pixels.Length} pixels do not make {count} images of {rows}×{columns}", nameof(pixels));
        Pixels = pixels;
        Count = count;
        Rows = rows;
        Columns = columns;
    }

    /// <summary>Raw 8-bit intensities, image after image.</summary>
    public byte[] Pixels { get; }

    public int Count { get; }
    public int Rows { get; }
    public int Columns { get; }

    /// <summary>Pixels per image.</summary>
    public int PixelsPerImage => Rows * Columns;

    /// <summary>The pixels of image <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Image(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return Pixels.AsSpan(index * PixelsPerImage, PixelsPerImage);
    }
}
