using AutoDiff.Gpu.Layers;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// DeZero's Conv2d and Deconv2d layers: filters laid out and drawn as DeZero draws them, made on the first call from
/// the input or at once from the sizes, and the layer's output that of the function. Bound to each accelerator kind.
/// </summary>
public abstract class FilterLayerTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    protected Device Device => fixture.Require();

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Deconv2d_makes_filters_C_OC_KH_KW_on_the_first_call(DType dtype)
    {
        Device.Random.ManualSeed(3);
        var layer = new Layers.Deconv2d(16, 3, stride: 2, pad: 1);
        Assert.Null(layer.W);
        Assert.Equal(((2, 2), (1, 1)), (layer.Stride, layer.Pad));
        var x = new Variable(Device.Random.Normal(new Shape(2, 64, 4, 5), dtype));
        var y = layer.Call(x);
        // DeZero's get_deconv_outsize: 2·(4 − 1) + 3 − 2·1 = 7 rows, 2·(5 − 1) + 3 − 2 = 9 columns.
        Assert.Equal((new Shape(2, 16, 7, 9), dtype), (y.Shape, y.DType));
        Assert.Equal(["W", "b"], layer.NamedParams().Select(p => p.Name));
        Assert.Equal(new Shape(64, 16, 3, 3), layer.W!.Shape);
        Assert.IsType<Parameter>(layer.W);
        AssertDrawnWithStd(layer.W, Math.Sqrt(1.0 / (64 * 3 * 3)));
        Assert.All(layer.B!.ToDoubleArray(), v => Assert.Equal(0.0, v));
        Assert.Equal(Deconv2d(x, layer.W, layer.B, stride: 2, pad: 1).ToDoubleArray(), y.ToDoubleArray());
    }

    [Fact]
    public void Deconv2d_with_sizes_and_a_device_makes_its_filters_at_once()
    {
        var eager = new Layers.Deconv2d(2, (3, 2), (1, 1), (0, 0), noBias: true, inChannels: 4, device: Device);
        Assert.Equal(new Shape(4, 2, 3, 2), eager.W!.Shape);
        Assert.Null(eager.B);
        Assert.Single(eager.Params());
        var y = eager.Call(new Variable(Device.Ones(1, 4, 2, 2)));
        Assert.Equal(new Shape(1, 2, 4, 3), y.Shape);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Layers.Deconv2d(2, 3, stride: 0));
        var e = Assert.Throws<ArgumentException>(() => eager.Call(new Variable(Device.Ones(4, 2, 2))));
        Assert.Contains("Deconv2d: x must be (N, C, H, W)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Conv2d_makes_filters_OC_C_KH_KW_drawn_as_DeZero_draws_them()
    {
        Device.Random.ManualSeed(4);
        var layer = new Layers.Conv2d(32, 3, pad: 1);
        var x = new Variable(Device.Ones(1, 48, 5, 5));
        Assert.Equal(new Shape(1, 32, 5, 5), layer.Call(x).Shape);
        Assert.Equal(new Shape(32, 48, 3, 3), layer.W!.Shape);
        AssertDrawnWithStd(layer.W, Math.Sqrt(1.0 / (48 * 3 * 3)));
    }

    /// <summary>Mean near 0 and standard deviation within 4% of <paramref name="std"/>.</summary>
    private static void AssertDrawnWithStd(Variable w, double std)
    {
        var values = w.ToDoubleArray();
        double mean = values.Average(), actual = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Length);
        Assert.InRange(mean, -0.1 * std, 0.1 * std);
        Assert.InRange(actual, std * 0.96, std * 1.04);
    }
}

public sealed class CpuFilterLayerTests(CpuFixture fixture) : FilterLayerTests<CpuFixture>(fixture);

public sealed class CudaFilterLayerTests(CudaFixture fixture) : FilterLayerTests<CudaFixture>(fixture);

public sealed class OpenCLFilterLayerTests(OpenCLFixture fixture) : FilterLayerTests<OpenCLFixture>(fixture);
