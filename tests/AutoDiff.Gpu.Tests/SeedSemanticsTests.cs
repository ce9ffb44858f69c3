using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>The seed's (DeZero step 18) behaviour, on one accelerator kind; bound to each kind below.</summary>
public abstract class SeedSemanticsTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    protected Device Device => fixture.Require();

    [Fact]
    public void Seed_example_drops_intermediate_grads_and_accumulates_leaf_grads()
    {
        var x0 = new Variable(Device.Scalar(1.0));
        var x1 = new Variable(Device.Scalar(1.0));
        var t = Add(x0, x1);
        var y = Add(x0, t);
        y.Backward();

        Assert.Null(y.Grad);
        Assert.Null(t.Grad);
        Assert.Equal("2.0", x0.Grad!.Data.ToString());
        Assert.Equal("variable(2.0)", x0.Grad.ToString());
        Assert.Equal("1.0", x1.Grad!.Data.ToString());
        Assert.Equal(DType.Float64, x0.Grad.DType);
    }

    [Fact]
    public void RetainGrad_keeps_every_gradient()
    {
        var x0 = new Variable(Device.Scalar(1.0));
        var x1 = new Variable(Device.Scalar(1.0));
        var t = Add(x0, x1);
        var y = Add(x0, t);
        y.Backward(retainGrad: true);

        Assert.Equal(1.0, y.Grad!.Item());
        Assert.Equal(1.0, t.Grad!.Item());
        Assert.Equal(2.0, x0.Grad!.Item());
        Assert.Equal(1.0, x1.Grad!.Item());
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Diamond_graph_needs_generation_order(DType dtype)
    {
        var x = new Variable(Device.Full(Shape.Scalar, 2.0, dtype));
        var a = Square(x);
        var y = Add(Square(a), Square(a));
        y.Backward();

        Assert.Equal(32.0, y.Data.Item());
        Assert.Equal(64.0, x.Grad!.Item());
        Assert.Equal(dtype, x.Grad.DType);
    }

    [Fact]
    public void Generations_follow_the_seed()
    {
        var x = new Variable(Device.Scalar(2.0));
        var a = Square(x);
        var b = Square(a);
        var c = Add(a, b);

        Assert.Equal(0, x.Generation);
        Assert.Equal(1, a.Generation);
        Assert.Equal(2, b.Generation);
        Assert.Equal(3, c.Generation);
        Assert.Equal(2, c.Creator!.Generation);
        Assert.Same(x, a.Creator!.Inputs[0]);
        Assert.True(a.Creator.Outputs[0].TryGetTarget(out var output));
        Assert.Same(a, output);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Mode_switch_example_on_100_cubed(DType dtype)
    {
        using var scope = TensorScope.Begin();
        Config.EnableBackprop = true;
        var x = new Variable(Device.Ones(new Shape(100, 100, 100), dtype));
        var y = Square(Square(Square(x)));
        y.Backward();
        Assert.All(x.Grad!.ToDoubleArray(), g => Assert.Equal(8.0, g));
        Assert.All(y.Data.ToDoubleArray(), v => Assert.Equal(1.0, v));
        Assert.NotNull(y.Creator);

        using (Config.NoGrad())
        {
            var x2 = new Variable(Device.Ones(new Shape(100, 100, 100), dtype));
            var y2 = Square(Square(Square(x2)));
            Assert.Null(y2.Creator);
            Assert.Equal(0, y2.Generation);
            Assert.All(y2.Data.ToDoubleArray(), v => Assert.Equal(1.0, v));
        }
        using (Config.UsingConfig("enable_backprop", false))
        {
            var y3 = Square(new Variable(Device.Scalar(2.0)));
            Assert.Null(y3.Creator);
            Assert.Equal(4.0, y3.Data.Item());
        }
        Assert.True(Config.EnableBackprop);
    }

    [Fact]
    public void Backward_twice_accumulates_without_touching_shared_buffers()
    {
        var x = new Variable(Device.Scalar(3.0));
        var y = Add(x, x);
        y.Backward(retainGrad: true);
        Assert.Equal(2.0, x.Grad!.Item());
        Assert.Equal(1.0, y.Grad!.Item());

        y.Backward(retainGrad: true);
        Assert.Equal(4.0, x.Grad!.Item());
        Assert.Equal(1.0, y.Grad!.Item());

        x.ClearGrad();
        Assert.Null(x.Grad);
    }

    [Fact]
    public void Backward_from_a_leaf_sets_ones()
    {
        var x = new Variable(Device.FromArray([1f, 2f, 3f]));
        x.Backward();
        Assert.Equal([1f, 1f, 1f], x.Grad!.ToArray<float>());
    }

    [Fact]
    public void User_set_output_grad_seeds_backward()
    {
        var x = new Variable(Device.FromArray([1.0, 2.0]));
        var y = Square(x);
        y.Grad = new Variable(Device.FromArray([10.0, 100.0]));
        y.Backward();
        Assert.Equal([20.0, 400.0], x.Grad!.ToArray<double>());
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Kernels_match_scalar_reference_including_special_values(DType dtype)
    {
        double[] specials = [double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0.0, -0.0, 1.5, -2.25, 1e-30, 3e30];
        foreach (int n in new[] { 1, 7, (6 * 512) + 7, 100_003 })
        {
            var a = new double[n];
            var b = new double[n];
            var random = new Random(n);
            for (int i = 0; i < n; i++)
            {
                a[i] = i < specials.Length ? specials[i] : (random.NextDouble() * 200) - 100;
                b[i] = i < specials.Length ? specials[specials.Length - 1 - i] : (random.NextDouble() * 200) - 100;
            }
            var ta = Make(a, dtype);
            var tb = Make(b, dtype);
            var square = F.Square(new Variable(ta)).Data.ToDoubleArray();
            var sum = Add(new Variable(ta), new Variable(tb)).Data.ToDoubleArray();
            var expectedA = Read(a, dtype);
            var expectedB = Read(b, dtype);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(Round(expectedA[i] * expectedA[i], dtype), square[i]);
                Assert.Equal(Round(expectedA[i] + expectedB[i], dtype), sum[i]);
            }
        }
    }

    [Fact]
    public void Kernels_are_compiled_once_per_device()
    {
        var x = new Variable(Device.FromArray([1f, 2f]));
        Square(Square(x)).Backward();
        // Test classes running alongside share the accelerator's kernels and may compile theirs meanwhile: one
        // window in which the count stands still shows these launches compiled nothing (a cache that recompiled
        // would move it in every window).
        int before = 0, after = -1;
        for (int window = 0; window < 5 && before != after; window++)
        {
            before = Device.Kernels.CompiledCount;
            for (int i = 0; i < 5; i++)
                Square(Square(new Variable(Device.FromArray([1f, 2f])))).Backward();
            after = Device.Kernels.CompiledCount;
        }
        Assert.Equal(before, after);
    }

    private Tensor Make(double[] values, DType dtype) =>
        dtype == DType.Float64 ? Device.FromArray(values) : Device.FromArray(Array.ConvertAll(values, v => (float)v));

    private static double[] Read(double[] values, DType dtype) =>
        dtype == DType.Float64 ? values : Array.ConvertAll(values, v => (double)(float)v);

    private static double Round(double value, DType dtype) => dtype == DType.Float64 ? value : (float)value;
}

public sealed class CpuSeedSemanticsTests(CpuFixture fixture) : SeedSemanticsTests<CpuFixture>(fixture);

public sealed class CudaSeedSemanticsTests(CudaFixture fixture) : SeedSemanticsTests<CudaFixture>(fixture);

public sealed class OpenCLSeedSemanticsTests(OpenCLFixture fixture) : SeedSemanticsTests<OpenCLFixture>(fixture);
