using AutoDiff.Gpu.Experiments;
using AutoDiff.Gpu.Layers;
using AutoDiff.Gpu.Optimizers;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// DeZero's layers: parameters made on the first call from the input, registered by name for optimizers, gradients
/// cleared together; an MLP that fits the book's sine data; batch normalization as a layer. Bound to each accelerator
/// kind below.
/// </summary>
public abstract class LayerTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    protected Device Device => fixture.Require();

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Linear_makes_its_weights_on_the_first_call_from_the_input(DType dtype)
    {
        Device.Random.ManualSeed(7);
        var layer = new Linear(300);
        Assert.Null(layer.W);
        Assert.Empty(layer.Params());
        var x = new Variable(Device.Ones(new Shape(5, 200), dtype));
        var y = layer.Call(x);
        Assert.Equal((new Shape(5, 300), dtype), (y.Shape, y.DType));
        Assert.Equal((new Shape(200, 300), dtype), (layer.W!.Shape, layer.W.DType));
        Assert.Equal(["W", "b"], layer.NamedParams().Select(p => p.Name));
        // W ~ N(0, 1/200): 60,000 draws.
        var w = layer.W.Data.ToDoubleArray();
        double mean = w.Average(), std = Math.Sqrt(w.Sum(v => (v - mean) * (v - mean)) / w.Length);
        Assert.InRange(mean, -0.002, 0.002);
        Assert.InRange(std, Math.Sqrt(1 / 200.0) * 0.98, Math.Sqrt(1 / 200.0) * 1.02);
        Assert.All(layer.B!.Data.ToDoubleArray(), v => Assert.Equal(0.0, v));
        Assert.Equal(Linear(x, layer.W, layer.B).Data.ToDoubleArray(), y.Data.ToDoubleArray());

        // Made now when the sizes and the device are given; no bias on request.
        var eager = new Linear(3, inSize: 4, noBias: true, dtype: dtype, device: Device);
        Assert.Equal(new Shape(4, 3), eager.W!.Shape);
        Assert.Null(eager.B);
        Assert.Single(eager.Params());
    }

    [Fact]
    public void Parameters_of_sublayers_have_paths_and_clear_together()
    {
        var model = new Mlp([4, 3, 1]);
        var x = new Variable(Device.Ones(new Shape(2, 5), DType.Float64));
        Sum(model.Call(x)).Backward();
        Assert.Equal(["l0/W", "l0/b", "l1/W", "l1/b", "l2/W", "l2/b"], model.NamedParams().Select(p => p.Name));
        Assert.All(model.Params(), p => Assert.NotNull(p.Grad));
        model.ClearGrads();
        Assert.All(model.Params(), p => Assert.Null(p.Grad));
        Assert.Equal(new Shape(5, 4), model.Layers[0].W!.Shape);
        Assert.Throws<ArgumentException>(() => new Mlp([]));
    }

    [Fact]
    public void An_mlp_fits_the_books_sine_data()
    {
        // The book's step 45 (MLP((10, 1)), sigmoid) with Adam instead of 10,000 steps of plain descent.
        Device.Random.ManualSeed(0);
        var x = new Variable(Device.FromArray(SineData.X, SineData.X.Length, 1));
        var y = new Variable(Device.FromArray(SineData.Y, SineData.Y.Length, 1));
        var model = new Mlp([10, 1]);
        var optimizer = new Adam(alpha: 0.05);
        double first = double.NaN, last = double.NaN;
        for (int i = 0; i < 1000; i++)
        {
            var loss = MeanSquaredError(model.Call(x), y);
            model.ClearGrads();
            loss.Backward();
            optimizer.Update(model.Params());
            if (i == 0)
                first = loss.Data.Item();
            last = loss.Data.Item();
        }
        Assert.True(last < 0.1, $"loss {first} → {last}");
        Assert.True(last < first / 3, $"loss {first} → {last}");
    }

    /// <summary>np.savez_compressed of 'l0/W' = [[1.5, -2, 3.25], [4, 5, -6.5]] (float32) and 'l0/b' = [0.5, 0.25, -1] (float64).</summary>
    private const string NumPyArchive =
        "UEsDBBQAAAAIAAAAIQBO2dQTWgAAAJgAAAAIABQAbDAvVy5ucHkBABAAmAAAAAAAAABaAAAAAAAAAJvsF+obEMnIUMZQrZ6SWpxcpG6loG6TZqKuo6Cell9UUpSYF59flJIKEndLzClOBYoXZyQWpAL5GkY6CsaaOgq1CmQDLgaGA/YMQIKBIcCBgaEBiBcA8YUDAFBLAwQUAAAACAAAACEAR5rS608AAACYAAAACAAUAGwwL2IubnB5AQAQAJgAAAAAAAAATwAAAAAAAACb7BfqGxDJyFDGUK2eklqcXKRupaBuk2ahrqOgnpZfVFKUmBefX5SSChJ3S8wpTgWKF2ckFqQC+RrGOpo6CrUKFAAuBjB4YA+hL0DpD/sBUEsBAhQDFAAAAAgAAAAhAE7Z1BNaAAAAmAAAAAgAAAAAAAAAAAAAAIABAAAAAGwwL1cubnB5UEsBAhQDFAAAAAgAAAAhAEea0utPAAAAmAAAAAgAAAAAAAAAAAAAAIABlAAAAGwwL2IubnB5UEsFBgAAAAACAAIAbAAAAB0BAAAAAA==";

    [Fact]
    public void Weights_saved_as_npz_load_back_into_a_model_of_the_same_layout()
    {
        string path = Path.Combine(Path.GetTempPath(), $"autodiff-weights-{Guid.NewGuid():N}.npz");
        try
        {
            Device.Random.ManualSeed(3);
            var x = new Variable(Device.RandN(4, 5));
            var model = new Mlp([6, 2]);
            var y = model.Call(x).Data.ToArray<float>();
            model.SaveWeights(path);

            var other = new Mlp([6, 2]);
            other.Call(x);
            Assert.NotEqual(y, other.Call(x).Data.ToArray<float>());
            other.LoadWeights(path);
            Assert.Equal(y, other.Call(x).Data.ToArray<float>());

            // NumPy's layout: each entry starts with the magic and a header padded to 64 bytes.
            using var zip = System.IO.Compression.ZipFile.OpenRead(path);
            Assert.Equal(["l0/W.npy", "l0/b.npy", "l1/W.npy", "l1/b.npy"], zip.Entries.Select(e => e.FullName));
            using var entry = zip.GetEntry("l0/W.npy")!.Open();
            var head = new byte[128];
            entry.ReadExactly(head);
            Assert.Equal("\u0093NUMPY", System.Text.Encoding.Latin1.GetString(head, 0, 6));
            int headerLength = head[8] | (head[9] << 8);
            Assert.Equal(0, (10 + headerLength) % 64);
            Assert.StartsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (5, 6), }", System.Text.Encoding.ASCII.GetString(head, 10, headerLength), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Weights_written_by_numpy_load_in_each_parameters_element_type()
    {
        string path = Path.Combine(Path.GetTempPath(), $"autodiff-numpy-{Guid.NewGuid():N}.npz");
        try
        {
            File.WriteAllBytes(path, Convert.FromBase64String(NumPyArchive));
            var model = new Mlp([3]);
            model.Call(new Variable(Device.Ones(1, 2)));
            model.LoadWeights(path);
            Assert.Equal([1.5f, -2f, 3.25f, 4f, 5f, -6.5f], model.Layers[0].W!.Data.ToArray<float>());
            Assert.Equal([0.5f, 0.25f, -1f], model.Layers[0].B!.Data.ToArray<float>());

            // Nothing changes when a parameter does not fit, or is missing.
            var wide = new Mlp([4]);
            wide.Call(new Variable(Device.Ones(1, 2)));
            var before = wide.Layers[0].B!.Data.ToArray<float>();
            Assert.Contains("'l0/W' is (2, 3), the parameter (2, 4)", Assert.Throws<InvalidDataException>(() => wide.LoadWeights(path)).Message, StringComparison.Ordinal);
            Assert.Equal(before, wide.Layers[0].B!.Data.ToArray<float>());
            var deeper = new Mlp([3, 1]);
            deeper.Call(new Variable(Device.Ones(1, 2)));
            Assert.Contains("has no array 'l1/W'", Assert.Throws<InvalidDataException>(() => deeper.LoadWeights(path)).Message, StringComparison.Ordinal);
            Assert.Contains("l0/W, l0/b of Mlp are not made yet", Assert.Throws<InvalidOperationException>(() => new Mlp([3]).LoadWeights(path)).Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void BatchNorm_layer_keeps_gamma_and_beta_as_parameters_and_the_statistics_as_state()
    {
        var layer = new Layers.BatchNorm(decay: 0.5);
        var x = new Variable(Device.FromArray(new double[,] { { 1, 10 }, { 3, 30 } }));
        var y = layer.Call(x);
        Assert.Equal(["gamma", "beta"], layer.NamedParams().Select(p => p.Name));
        // Each column normalized to ±1 (up to ε), the running statistics half-way to the batch's (m = 2: unbiased ×2).
        var values = y.Data.ToDoubleArray();
        Assert.Equal(-1, values[0], 4);
        Assert.Equal(1, values[3], 4);
        Assert.Equal([1.0, 10.0], layer.RunningMean!.ToDoubleArray());
        Assert.Equal([0.5 + (0.5 * 2 * 1), 0.5 + (0.5 * 2 * 100)], layer.RunningVar!.ToDoubleArray());
        using (Config.TestMode())
            Assert.Equal((1 - 1.0) / Math.Sqrt(1.5 + 2e-5), layer.Call(x).Data.ToDoubleArray()[0], 12);
    }
}

public sealed class CpuLayerTests(CpuFixture fixture) : LayerTests<CpuFixture>(fixture);

public sealed class CudaLayerTests(CudaFixture fixture) : LayerTests<CudaFixture>(fixture);

public sealed class OpenCLLayerTests(OpenCLFixture fixture) : LayerTests<OpenCLFixture>(fixture);
