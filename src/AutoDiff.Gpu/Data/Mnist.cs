namespace AutoDiff.Gpu.Data;

/// <summary>
/// DeZero's <c>MNIST</c>, read from the standard IDX files in a folder (no download): <c>train-images-idx3-ubyte</c>
/// and <c>train-labels-idx1-ubyte</c> for training, <c>t10k-…</c> for testing, each plain or gzipped (<c>.gz</c>).
/// DeZero's default transform is applied: each image flattened to 784 values, as floats, divided by 255.
/// </summary>
public static class Mnist
{
    /// <summary>
    /// The images, (N, H·W) with <paramref name="flatten"/> (DeZero's default) else (N, 1, H, W), in [0, 1] on
    /// <paramref name="device"/>, and their labels.
    /// </summary>
    /// <exception cref="FileNotFoundException">A file is in the folder neither plain nor gzipped.</exception>
    /// <exception cref="InvalidDataException">A file is not an IDX file of the right kind, is truncated, or the counts
    /// differ.</exception>
    public static (Tensor X, int[] T) Load(
        string folder, Device device, bool train = true, DType dtype = Device.DefaultDType, bool flatten = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentNullException.ThrowIfNull(device);
        string prefix = train ? "train" : "t10k";
        string imagesPath = Find(folder, $"{prefix}-images-idx3-ubyte");
        string labelsPath = Find(folder, $"{prefix}-labels-idx1-ubyte");
        var (labelDims, labelBytes) = Idx.Read(labelsPath, rank: 1);
        var (dims, pixels) = Idx.Read(imagesPath, rank: 3);
        if (dims[0] != labelDims[0])
            throw new InvalidDataException(
                $"{imagesPath} holds {dims[0]:N0} images but {labelsPath} {labelDims[0]:N0} labels");
        int[] shape = flatten ? [dims[0], dims[1] * dims[2]] : [dims[0], 1, dims[1], dims[2]];
        var x = dtype == DType.Float64
            ? device.FromArray(Array.ConvertAll(pixels, p => p / 255.0), shape)
            : device.FromArray(Array.ConvertAll(pixels, p => p / 255f), shape);
        return (x, Array.ConvertAll(labelBytes, b => (int)b));
    }

    /// <summary>The path of <paramref name="name"/> in the folder, plain or gzipped; the error names both.</summary>
    private static string Find(string folder, string name)
    {
        string plain = Path.Combine(folder, name), zipped = plain + ".gz";
        if (File.Exists(plain))
            return plain;
        if (File.Exists(zipped))
            return zipped;
        throw new FileNotFoundException($"MNIST: neither {plain} nor {zipped} exists", plain);
    }
}
