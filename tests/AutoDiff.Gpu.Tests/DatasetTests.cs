using System.Buffers.Binary;
using System.IO.Compression;
using AutoDiff.Gpu.Data;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// DeZero's SinCurve, and MNIST read from IDX files that the tests write themselves (plain and gzipped): DeZero's
/// default transform, and a clear error for every bad file. Bound to each accelerator kind below.
/// </summary>
public abstract class DatasetTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>, IDisposable
    where TFixture : DeviceFixture
{
    private readonly string folder = Directory.CreateTempSubdirectory("mnist-").FullName;

    protected Device Device => fixture.Require();

    [Fact]
    public void SinCurve_is_the_noisy_sine_for_training_and_the_cosine_for_testing()
    {
        var (x, t) = SinCurve.Load(Device, seed: 1);
        Assert.Equal((new Shape(999, 1), DType.Float64), (x.Shape, x.DType));
        Assert.Equal(new Shape(999, 1), t.Shape);
        var data = x.ToDoubleArray();
        // Each label is the next point, and each point is within the noise of sin(2πi/999).
        Assert.Equal(data[1..], t.ToDoubleArray()[..^1]);
        var noise = data.Select((v, i) => v - Math.Sin(2 * Math.PI * i / 999)).ToArray();
        Assert.All(noise, e => Assert.InRange(e, -0.05, 0.05));
        Assert.True(noise.Max() - noise.Min() > 0.09, "the noise spans its range");
        Assert.Equal(data, SinCurve.Load(Device, seed: 1).X.ToDoubleArray());
        Assert.NotEqual(data, SinCurve.Load(Device, seed: 2).X.ToDoubleArray());

        var (test, labels) = SinCurve.Load(Device, train: false, dtype: DType.Float32);
        Assert.Equal(DType.Float32, test.DType);
        Assert.Equal(1.0, test.ToDoubleArray()[0]);
        Assert.Equal(Math.Cos(2 * Math.PI * 999 / 999), labels.ToDoubleArray()[^1], 6);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Mnist_reads_idx_files_flattened_and_scaled_as_DeZero(bool gzipped)
    {
        byte[] pixels = [.. Enumerable.Range(0, 3 * 2 * 4).Select(i => (byte)(i * 10))];
        WriteIdx("t10k-images-idx3-ubyte", gzipped, [3, 2, 4], pixels);
        WriteIdx("t10k-labels-idx1-ubyte", gzipped, [3], [7, 0, 9]);
        var (x, t) = Mnist.Load(folder, Device, train: false);
        Assert.Equal((new Shape(3, 8), DType.Float32), (x.Shape, x.DType));
        Assert.Equal(pixels.Select(p => (double)(p / 255f)), x.ToDoubleArray());
        Assert.Equal([7, 0, 9], t);
        var (images, _) = Mnist.Load(folder, Device, train: false, dtype: DType.Float64, flatten: false);
        Assert.Equal((new Shape(3, 1, 2, 4), DType.Float64), (images.Shape, images.DType));
        Assert.Equal(pixels.Select(p => p / 255.0), images.ToDoubleArray());
    }

    [Fact]
    public void Bad_mnist_files_are_named_with_what_is_wrong()
    {
        var missing = Assert.Throws<FileNotFoundException>(() => Mnist.Load(folder, Device));
        Assert.Contains("train-images-idx3-ubyte nor", missing.Message, StringComparison.Ordinal);

        WriteIdx("train-labels-idx1-ubyte", false, [2], [1, 2]);
        string images = Path.Combine(folder, "train-images-idx3-ubyte");
        Assert.Contains("ends after 2 bytes", Error([0, 0]), StringComparison.Ordinal);
        Assert.Contains(
            "its magic number is 0x00000801, not 0x00000803",
            Error([0, 0, 8, 1, 0, 0, 0, 2]),
            StringComparison.Ordinal);
        Assert.Contains(
            "ends inside its header, after 12 of 16 bytes",
            Error([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1]),
            StringComparison.Ordinal);
        // A header that claims two billion images of 1×1 allocates nothing before the data runs out.
        Assert.Contains(
            "truncated: 3 of the 2,000,000,000 data bytes",
            Error(Header(2_000_000_000, 1, 1, [1, 2, 3])),
            StringComparison.Ordinal);
        Assert.Contains("more than", Error(Header(1 << 20, 1 << 20, 1 << 20, [])), StringComparison.Ordinal);
        Assert.Contains(
            "dimension 1 of its header is negative (-3)",
            Error(Header(2, -3, 1, [])),
            StringComparison.Ordinal);
        Assert.Contains("bytes after the 2", Error(Header(2, 1, 1, [1, 2, 3])), StringComparison.Ordinal);
        Assert.Contains("holds 1 images but", Error(Header(1, 1, 1, [1])), StringComparison.Ordinal);
        File.Delete(images);
        File.WriteAllBytes(images + ".gz", [1, 2, 3, 4]);
        Refused.With<InvalidDataException>("not a gzip file", () => Mnist.Load(folder, Device));

        string Error(byte[] bytes)
        {
            File.WriteAllBytes(images, bytes);
            var e = Assert.Throws<InvalidDataException>(() => Mnist.Load(folder, Device));
            Assert.Contains(images, e.Message, StringComparison.Ordinal);
            return e.Message;
        }
    }

    public void Dispose()
    {
        Directory.Delete(folder, recursive: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>An image file's bytes: magic, three dimensions, then <paramref name="data"/>.</summary>
    private static byte[] Header(int n, int rows, int columns, byte[] data)
    {
        var bytes = new byte[16 + data.Length];
        bytes[2] = 8;
        bytes[3] = 3;
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), n);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), columns);
        data.CopyTo(bytes, 16);
        return bytes;
    }

    private void WriteIdx(string name, bool gzipped, int[] dims, byte[] data)
    {
        using var file = File.Create(Path.Combine(folder, gzipped ? name + ".gz" : name));
        using Stream stream = gzipped ? new GZipStream(file, CompressionLevel.Fastest) : file;
        stream.Write([0, 0, 8, (byte)dims.Length]);
        foreach (int d in dims)
        {
            var b = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(b, d);
            stream.Write(b);
        }
        stream.Write(data);
    }
}

public sealed class CpuDatasetTests(CpuFixture fixture) : DatasetTests<CpuFixture>(fixture);

public sealed class CudaDatasetTests(CudaFixture fixture) : DatasetTests<CudaFixture>(fixture);

public sealed class OpenCLDatasetTests(OpenCLFixture fixture) : DatasetTests<OpenCLFixture>(fixture);
