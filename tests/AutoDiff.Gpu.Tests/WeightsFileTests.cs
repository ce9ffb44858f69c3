using System.IO.Compression;
using System.Text;
using AutoDiff.Gpu.Layers;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// Weights files (<c>.npz</c>) as a hostile or unlucky user meets them: buffers saved with the parameters, saves that
/// fail without harming the previous file, archives that try to exhaust memory, malformed or ambiguous entries, and
/// the layouts NumPy writes. Bound to each accelerator kind below.
/// </summary>
public abstract class WeightsFileTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>, IDisposable
    where TFixture : DeviceFixture
{
    private readonly string folder = Directory.CreateTempSubdirectory("autodiff-weights-").FullName;

    protected Device Device => fixture.Require();

    private string Path => System.IO.Path.Combine(folder, "w.npz");

    public void Dispose()
    {
        Directory.Delete(folder, recursive: true);
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void BatchNorm_running_statistics_are_saved_as_dezero_names_them_and_load_back()
    {
        Device.Random.ManualSeed(1);
        var x = new Variable(Device.RandN(16, 3));
        var model = new Normalized();
        for (int i = 0; i < 3; i++)
            model.Call(Add(x, new Variable(Device.Scalar((float)i))));
        model.SaveWeights(Path);
        using (var zip = ZipFile.OpenRead(Path))
            Assert.Equal(["l0/W.npy", "l0/b.npy", "bn/gamma.npy", "bn/beta.npy", "bn/avg_mean.npy", "bn/avg_var.npy"], zip.Entries.Select(e => e.FullName));

        var other = new Normalized();
        other.Call(x);
        other.LoadWeights(Path);
        Assert.Equal(model.Norm.RunningMean!.ToArray<float>(), other.Norm.RunningMean!.ToArray<float>());
        Assert.Equal(model.Norm.RunningVar!.ToArray<float>(), other.Norm.RunningVar!.ToArray<float>());
        using (Config.TestMode())
            Assert.Equal(model.Call(x).Data.ToArray<float>(), other.Call(x).Data.ToArray<float>());
    }

    [Fact]
    public void A_failed_save_leaves_the_previous_file_intact()
    {
        var model = new Layers.Linear(3, inSize: 2, device: Device);
        model.SaveWeights(Path);
        var before = File.ReadAllBytes(Path);

        var broken = new Layers.Linear(3, inSize: 2, device: Device);
        broken.B!.Dispose();
        Assert.Contains("'b' (3,) float32 was disposed", Assert.Throws<ObjectDisposedException>(() => broken.SaveWeights(Path)).Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(Path));

        // A target that cannot be replaced (a folder): the temporary file is gone afterwards.
        string blocked = System.IO.Path.Combine(folder, "blocked.npz");
        Directory.CreateDirectory(blocked);
        Assert.ThrowsAny<IOException>(() => model.SaveWeights(blocked));
        Assert.Equal([blocked, Path], Directory.GetFileSystemEntries(folder).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Entries_no_parameter_asks_for_are_never_inflated()
    {
        WriteArchive(("W.npy", Npy("(2, 3)", 6)), ("b.npy", Npy("(3,)", 3)), ("unused.npy", Npy("(16777216,)", 16777216)));
        var model = new Layers.Linear(3, inSize: 2, device: Device);
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        model.LoadWeights(Path);
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - allocated, 0, 4L << 20);
        Assert.Equal([0f, 1, 2, 3, 4, 5], model.W!.Data.ToArray<float>());
    }

    [Fact]
    public void A_header_that_does_not_fit_is_refused_before_its_data_is_read()
    {
        WriteArchive(("W.npy", Npy("(2048, 2048)", 2048 * 2048, "<f8")), ("b.npy", Npy("(3,)", 3)));
        var model = new Layers.Linear(3, inSize: 2, device: Device);
        var w = model.W!.Data.ToArray<float>();
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => model.LoadWeights(Path));
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - allocated, 0, 4L << 20);
        Assert.Contains("'W' is (2048, 2048), the parameter (2, 3)", e.Message, StringComparison.Ordinal);
        Assert.Equal(w, model.W!.Data.ToArray<float>());
    }

    [Theory]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", "a dimension from 0")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999,), }", "a dimension from 0")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (3L,), }", "')' expected")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': ('a',), }", "a dimension from 0")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (6), }", "(n,)")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, }", "'shape' are all needed")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'shape': (2, 3), }", "unknown or repeated")]
    [InlineData("{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3), }", "True or False expected")]
    [InlineData("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", "holds '>f4' elements")]
    [InlineData("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }", "holds '<i4' elements")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } x", "text after the closing brace")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), ", "a quoted string expected")]
    public void A_malformed_header_is_invalid_data_naming_the_file_and_entry(string header, string problem)
    {
        WriteArchive(("W.npy", Npy(header, 6, raw: true)), ("b.npy", Npy("(3,)", 3)));
        AssertRefused(problem);
    }

    [Fact]
    public void Malformed_entries_are_invalid_data_naming_the_file_and_entry()
    {
        var huge = new byte[16];
        Encoding.Latin1.GetBytes("\u0093NUMPY\u0002\0").CopyTo(huge, 0);
        BitConverter.GetBytes(0xFFFFFFFFu).CopyTo(huge, 8);
        var cases = new (byte[] Bytes, string Problem)[]
        {
            (huge, "a header of 4,294,967,295 bytes"),
            (Npy("(2, 3)", 6)[..10], "ends within its"),
            (Encoding.ASCII.GetBytes("not an npy array"), "no NUMPY magic"),
            (Npy("(2, 3)", 5), "the zip declares"),
            (Npy("(2, 3)", 7), "the zip declares"),
            (Version(Npy("(2, 3)", 6), 9), ".npy format 9.0"),
        };
        foreach (var (bytes, problem) in cases)
        {
            WriteArchive(("W.npy", bytes), ("b.npy", Npy("(3,)", 3)));
            AssertRefused(problem);
        }
        File.WriteAllText(Path, "not a zip");
        Assert.Contains("is not a zip archive", Assert.Throws<InvalidDataException>(() => Fresh().LoadWeights(Path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_entry_named_twice_is_refused()
    {
        WriteArchive(("W.npy", Npy("(2, 3)", 6)), ("b.npy", Npy("(3,)", 3)), ("W.npy", Npy("(2, 3)", 6)));
        Assert.Contains("holds the entry 'W.npy' twice", Assert.Throws<InvalidDataException>(() => Fresh().LoadWeights(Path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_shape_is_checked_not_only_the_element_count()
    {
        WriteArchive(("W.npy", Npy("(3, 2)", 6)), ("b.npy", Npy("(3,)", 3)));
        Assert.Contains("'W' is (3, 2), the parameter (2, 3)", Assert.Throws<InvalidDataException>(() => Fresh().LoadWeights(Path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Headers_are_written_as_numpy_requires_and_fortran_order_is_read()
    {
        var model = new Layers.Linear(3, inSize: 2, device: Device);
        model.SaveWeights(Path);
        using (var zip = ZipFile.OpenRead(Path))
        {
            using var entry = zip.GetEntry("b.npy")!.Open();
            var head = new byte[128];
            entry.ReadExactly(head);
            Assert.StartsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", Encoding.ASCII.GetString(head, 10, 118), StringComparison.Ordinal);
        }

        // Column-major (2, 3): the file holds 0, 3, 1, 4, 2, 5 for the rows (0, 1, 2) and (3, 4, 5).
        var fortran = Npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 6, raw: true, values: [0, 3, 1, 4, 2, 5]);
        WriteArchive(("W.npy", fortran), ("b.npy", Npy("(3,)", 3)));
        model.LoadWeights(Path);
        Assert.Equal([0f, 1, 2, 3, 4, 5], model.W!.Data.ToArray<float>());
    }

    private Layers.Linear Fresh() => new(3, inSize: 2, device: Device);

    private void AssertRefused(string problem)
    {
        var model = Fresh();
        var w = model.W!.Data.ToArray<float>();
        var e = Assert.Throws<InvalidDataException>(() => model.LoadWeights(Path));
        Assert.Contains($"{Path}, entry 'W.npy'", e.Message, StringComparison.Ordinal);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
        Assert.Equal(w, model.W!.Data.ToArray<float>());
    }

    /// <summary>An .npy entry: format 1.0, a header (a shape, or the whole dictionary when raw), and float32 values 0, 1, ….</summary>
    private static byte[] Npy(string header, int count, string descr = "<f4", bool raw = false, float[]? values = null)
    {
        string text = raw ? header : $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {header}, }}";
        text = text.PadRight(((10 + text.Length + 1 + 63) / 64 * 64) - 11) + "\n";
        using var bytes = new MemoryStream();
        bytes.Write(Encoding.Latin1.GetBytes("\u0093NUMPY\u0001\0"));
        bytes.Write(BitConverter.GetBytes((ushort)text.Length));
        bytes.Write(Encoding.ASCII.GetBytes(text));
        int size = descr.EndsWith('8') ? 8 : 4;
        var data = new byte[(long)count * size];
        for (int i = 0; i < Math.Min(count, 16); i++)
        {
            float v = values is null ? i : values[i];
            if (size == 4)
                BitConverter.GetBytes(v).CopyTo(data, i * 4);
            else
                BitConverter.GetBytes((double)v).CopyTo(data, i * 8);
        }
        bytes.Write(data);
        return bytes.ToArray();
    }

    private static byte[] Version(byte[] npy, byte major)
    {
        npy[6] = major;
        return npy;
    }

    private void WriteArchive(params (string Name, byte[] Bytes)[] entries)
    {
        File.Delete(Path);
        using var zip = ZipFile.Open(Path, ZipArchiveMode.Create);
        foreach (var (name, bytes) in entries)
        {
            using var stream = zip.CreateEntry(name, CompressionLevel.Fastest).Open();
            stream.Write(bytes);
        }
    }

    /// <summary>Linear(4) then batch normalization.</summary>
    private sealed class Normalized : Layer
    {
        private readonly Layers.Linear l0;

        public Normalized()
        {
            l0 = Sublayer("l0", new Layers.Linear(4));
            Norm = Sublayer("bn", new Layers.BatchNorm());
        }

        public Layers.BatchNorm Norm { get; }

        protected override Variable Forward(Variable[] inputs) => Norm.Call(l0.Call(OneInput(inputs)));
    }
}

public sealed class CpuWeightsFileTests(CpuFixture fixture) : WeightsFileTests<CpuFixture>(fixture);

public sealed class CudaWeightsFileTests(CudaFixture fixture) : WeightsFileTests<CudaFixture>(fixture);

public sealed class OpenCLWeightsFileTests(OpenCLFixture fixture) : WeightsFileTests<OpenCLFixture>(fixture);
