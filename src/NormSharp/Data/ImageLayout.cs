namespace NormSharp.Data;

/// <summary>How image datasets shape their features.</summary>
public enum ImageLayout
{
    /// <summary>[N, H·W], for MLPs (Keras' <c>Flatten</c> input, torchvision's <c>view(-1, 784)</c>).</summary>
    Flatten,
    /// <summary>[N, 1, H, W] (NCHW), for convolutional networks.</summary>
    Image,
}
