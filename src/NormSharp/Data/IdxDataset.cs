namespace NormSharp.Data;

/// <summary>Turns IDX images and labels into an <see cref="InMemoryDataset"/>.</summary>
public static class IdxDataset
{
    /// <summary>
    /// Reads <paramref name="imagesPath"/> and <paramref name="labelsPath"/> (raw or gzip), checks they agree,
    /// and returns pixels scaled to [0, 1] (byte / 255, as torchvision's <c>ToTensor</c>) in the given layout.
    /// </summary>
    public static InMemoryDataset Load(string name, string imagesPath, string labelsPath, int numClasses, ImageLayout layout)
    {
        var images = IdxReader.ReadImages(imagesPath);
        var labels = IdxReader.ReadLabels(labelsPath, numClasses);
        if (images.Count != labels.Length)
            throw new InvalidDataException(
                $"IDX files '{imagesPath}' and '{labelsPath}' disagree: {images.Count} images but {labels.Length} labels");
        return FromIdx(name, images, labels, numClasses, layout);
    }

    /// <summary>Builds the dataset from already-read IDX content.</summary>
    public static InMemoryDataset FromIdx(string name, IdxImages images, ReadOnlySpan<byte> labels, int numClasses, ImageLayout layout)
    {
        int[] shape = layout == ImageLayout.Flatten
            ? [images.Count, images.PixelsPerImage]
            : [images.Count, 1, images.Rows, images.Columns];
        var features = new Tensor(shape);
        var pixels = images.Pixels.AsSpan();
        var destination = features.Span;
        const float scale = 1f / 255f;
        for (int i = 0; i < pixels.Length; i++) destination[i] = pixels[i] * scale;
        var targets = new Tensor(labels.Length);
        var t = targets.Span;
        for (int i = 0; i < labels.Length; i++) t[i] = labels[i];
        return new InMemoryDataset(name, features, targets, numClasses);
    }
}
