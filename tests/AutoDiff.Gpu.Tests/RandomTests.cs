using AutoDiff.Gpu.Kernels;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// Random numbers made on the device and dropout, through the engine: distributions (fixed seeds, so the bounds
/// below are checked once and hold on every run), seeding and state, dropout's mask shared by the forward and every
/// backward, test mode, memory and bad input. Bound to each accelerator kind below.
/// </summary>
public abstract class RandomTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    private const int N = 1 << 20;

    protected Device Device => fixture.Require();

    [Fact]
    public void Uniform_numbers_have_the_moments_of_the_uniform_distribution()
    {
        Device.Random.ManualSeed(1);
        var u = Device.Rand(1024, 1024);
        Assert.Equal((new Shape(1024, 1024), DType.Float32), (u.Shape, u.DType));
        var values = u.ToDoubleArray();
        Assert.All(values, v => Assert.InRange(v, 0.0, 0.99999995));
        // Standard error of the mean: 0.289 / 1024; of the variance: 0.0745 / 1024.
        Assert.InRange(values.Average(), 0.5 - 0.002, 0.5 + 0.002);
        Assert.InRange(Variance(values), (1 / 12.0) - 0.0008, (1 / 12.0) + 0.0008);

        var w = Device.Random.Uniform(new Shape(N), DType.Float64, low: -2, high: 3).ToDoubleArray();
        Assert.All(w, v => Assert.InRange(v, -2.0, 3.0));
        Assert.InRange(w.Average(), 0.5 - 0.01, 0.5 + 0.01);
        // float64 uniforms carry 53 bits: most are not float32 values.
        Assert.True(w.Count(v => (double)(float)v != v) > N / 2);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Normal_numbers_have_the_moments_of_the_normal_distribution(DType dtype)
    {
        Device.Random.ManualSeed(2);
        var z = Device.Random.Normal(new Shape(N), dtype).ToDoubleArray();
        Assert.All(z, v => Assert.True(double.IsFinite(v)));
        Assert.InRange(z.Average(), -0.006, 0.006);
        Assert.InRange(Math.Sqrt(Variance(z)), 0.995, 1.005);
        Assert.InRange(z.Count(v => Math.Abs(v) < 1) / (double)N, 0.6827 - 0.003, 0.6827 + 0.003);
        Assert.InRange(z.Count(v => Math.Abs(v) < 2) / (double)N, 0.9545 - 0.002, 0.9545 + 0.002);

        var scaled = Device.Random.Normal(new Shape(N), dtype, mean: 3, std: 0.5).ToDoubleArray();
        Assert.InRange(scaled.Average(), 3 - 0.003, 3 + 0.003);
        Assert.InRange(Math.Sqrt(Variance(scaled)), 0.4975, 0.5025);
        Assert.Equal(new Shape(3, 0), Device.RandN(3, 0).Shape);
    }

    [Fact]
    public void A_seed_repeats_its_numbers_and_each_launch_takes_a_new_stream()
    {
        var random = Device.Random;
        random.ManualSeed(42);
        var a = Device.Rand(1000).ToArray<float>();
        var b = Device.Rand(1000).ToArray<float>();
        Assert.Equal(new RandomState(42, 2), random.State);
        Assert.NotEqual(a, b);
        var saved = random.State;
        var c = Device.RandN(1000).ToArray<float>();

        random.ManualSeed(42);
        Assert.Equal(a, Device.Rand(1000).ToArray<float>());
        random.State = saved;
        Assert.Equal(c, Device.RandN(1000).ToArray<float>());

        // The numbers are the documented ones: stream 0 of seed 42, element i from word i mod 4 of block i / 4.
        var words = Enumerable.Range(0, 250).Select(blockIndex => Philox.Block((uint)blockIndex, 0, 0, 0, 42, 0)).ToArray();
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => (words[i / 4][i % 4] >> 8) / 16777216f), a);
    }

    [Fact]
    public void A_failed_request_does_not_advance_the_generator()
    {
        var random = Device.Random;
        random.ManualSeed(9);
        var expected = Device.Rand(100).ToArray<float>();
        random.ManualSeed(9);
        Assert.ThrowsAny<Exception>(() => Device.Rand(1 << 20, 1 << 20));
        Assert.Throws<ArgumentException>(() => random.Normal(new Shape(1 << 30, 1 << 30, 4)));
        Assert.Equal(new RandomState(9, 0), random.State);
        Assert.Equal(expected, Device.Rand(100).ToArray<float>());
    }

    [Fact]
    public void Devices_opened_apart_start_from_different_seeds()
    {
        using var one = fixture.OpenFresh();
        using var two = fixture.OpenFresh();
        Assert.NotEqual(one.Random.State.Seed, two.Random.State.Seed);
        Assert.Equal(0UL, one.Random.State.Streams);
    }

    [Fact]
    public void Dropout_keeps_about_one_minus_ratio_scaled_and_its_gradient_uses_the_same_mask()
    {
        Device.Random.ManualSeed(3);
        var x = new Variable(Device.Ones(100_000));
        var y = Dropout(x, 0.3);
        var scale = (float)(1 / 0.7);
        var values = y.Data.ToArray<float>();
        Assert.All(values, v => Assert.True(v == 0 || v == scale, $"{v} is neither 0 nor {scale}"));
        Assert.InRange(values.Count(v => v != 0) / 100_000.0, 0.7 - 0.006, 0.7 + 0.006);

        Sum(y).Backward();
        Assert.Equal(values, x.Grad!.Data.ToArray<float>());
    }

    [Fact]
    public void Second_derivatives_through_dropout_see_the_forward_mask()
    {
        Device.Random.ManualSeed(4);
        var x = new Variable(Device.FromArray(Enumerable.Range(0, 4099).Select(i => 0.25 + (i % 7)).ToArray()));
        const double ratio = 0.5, scale = 2;
        var d = Dropout(x, ratio);
        var kept = d.Data.ToDoubleArray().Select(v => v != 0).ToArray();
        // y = Σ dropout(x)²: gx = 2·m·s·dropout(x) = 2·m·s²·x, and d(Σ gx)/dx = 2·m·s².
        Sum(Square(d)).Backward(createGraph: true);
        var gx = x.Grad!;
        var xs = x.Data.ToDoubleArray();
        Assert.Equal(xs.Select((v, i) => kept[i] ? 2 * scale * scale * v : 0), gx.Data.ToDoubleArray());
        x.ClearGrad();
        Sum(gx).Backward();
        Assert.Equal(kept.Select(k => k ? 2 * scale * scale : 0), x.Grad!.Data.ToDoubleArray());
    }

    [Fact]
    public void In_test_mode_dropout_returns_its_input_and_draws_nothing()
    {
        var x = new Variable(Device.FromArray([1f, 2f, 3f]));
        var before = Device.Random.State;
        using (Config.TestMode())
            Assert.Same(x, Dropout(x));
        Assert.Equal(before, Device.Random.State);
        Assert.Equal([1f, 2f, 3f], Dropout(x, 0).Data.ToArray<float>());
        Assert.Equal(before.Streams + 1, Device.Random.State.Streams);
    }

    [Fact]
    public void Dropout_multiplies_by_zero_so_nan_and_infinity_stay_not_finite()
    {
        Device.Random.ManualSeed(5);
        var y = Dropout(new Variable(Device.FromArray(Enumerable.Repeat(double.NaN, 64).Concat(Enumerable.Repeat(double.PositiveInfinity, 64)).ToArray())), 0.5);
        var values = y.Data.ToDoubleArray();
        Assert.All(values[..64], v => Assert.True(double.IsNaN(v)));
        // ∞·0 is NaN where dropped, ∞·2 is ∞ where kept.
        Assert.All(values[64..], v => Assert.True(double.IsNaN(v) || double.IsPositiveInfinity(v)));
        Assert.Contains(values[64..], double.IsNaN);
        Assert.Contains(values[64..], double.IsPositiveInfinity);
        Assert.Empty(Dropout(new Variable(Device.Ones(0, 4)), 0.5).Data.ToArray<float>());
    }

    [Fact]
    public void Dropout_stores_no_mask_on_the_device()
    {
        using var device = fixture.OpenFresh();
        long buffer = DeviceMemory.RoundSize(1000 * 1000 * sizeof(float));
        var x = new Variable(device.Ones(1000, 1000));
        var y = Dropout(x);
        // x and y; DeZero would also hold a mask of x's size until the backward pass.
        Assert.Equal(2 * buffer, device.Memory.AllocatedBytes);
        Sum(y).Backward();
        Assert.Equal(y.Data.ToArray<float>(), x.Grad!.Data.ToArray<float>());
        GC.KeepAlive(y);
    }

    [Fact]
    public void Bad_arguments_name_what_is_wrong()
    {
        var x = new Variable(Device.Ones(3));
        foreach (var ratio in new[] { 1.0, -0.1, double.NaN })
            Assert.Contains("ratio must be in [0, 1)", Assert.Throws<ArgumentOutOfRangeException>(() => Dropout(x, ratio)).Message, StringComparison.Ordinal);
        Assert.Contains("bounds must be finite", Assert.Throws<ArgumentException>(() => Device.Random.Uniform(new Shape(3), DType.Float32, double.NaN, 1)).Message, StringComparison.Ordinal);
        Assert.Contains("std -1", Assert.Throws<ArgumentException>(() => Device.Random.Normal(new Shape(3), DType.Float32, 0, -1)).Message, StringComparison.Ordinal);
    }

    private static double Variance(double[] values)
    {
        double mean = values.Average();
        return values.Sum(v => (v - mean) * (v - mean)) / values.Length;
    }
}

public sealed class CpuRandomTests(CpuFixture fixture) : RandomTests<CpuFixture>(fixture);

public sealed class CudaRandomTests(CudaFixture fixture) : RandomTests<CudaFixture>(fixture);

public sealed class OpenCLRandomTests(OpenCLFixture fixture) : RandomTests<OpenCLFixture>(fixture);
