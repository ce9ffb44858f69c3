using AutoDiff.Gpu.Optimizers;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// Lazy fusion: fused and eager execution give the same values (bit for bit on the CPU accelerator), pending tensors
/// keep the values they were made from, and the seed's peaks shrink to the tensors a program reads.
/// </summary>
public abstract class FusionTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    /// <summary>One 100×100×100 float32 buffer's pool block.</summary>
    private static readonly long Buffer = DeviceMemory.RoundSize(100 * 100 * 100 * sizeof(float));

    /// <summary>The class's device, fusing results of every size (the CPU accelerator's default leaves small ones eager).</summary>
    private Device Device
    {
        get
        {
            var device = fixture.Require();
            device.FusionMinElements = 0;
            return device;
        }
    }

    /// <summary>A new device (counts from zero), fusing results of every size.</summary>
    private Device OpenFresh()
    {
        var device = fixture.OpenFresh();
        device.FusionMinElements = 0;
        return device;
    }

    [Theory]
    [MemberData(nameof(OpTable.Keys), MemberType = typeof(OpTable))]
    public void Every_op_table_row_gives_the_eager_values_and_gradients(string key, DType dtype)
    {
        var c = OpTable.Cases[key];
        var inputs = c.Inputs().Select(h => h.Rounded(dtype)).ToArray();
        var (fusedY, fusedGrads) = Evaluate(c, inputs, dtype, fused: true);
        var (eagerY, eagerGrads) = Evaluate(c, inputs, dtype, fused: false);
        AssertSame(eagerY, fusedY, $"{key} forward");
        for (int i = 0; i < eagerGrads.Length; i++)
            AssertSame(eagerGrads[i], fusedGrads[i], $"{key} gradient {i}");
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Second_derivatives_through_a_fused_chain_match_eager(DType dtype)
    {
        double[] Run(bool fused)
        {
            using var mode = Config.UsingConfig(Config.FusionName, fused);
            var x = new Variable(Device.FromArray([0.3, -1.2, 2.0, 0.7], 4).To(dtype));
            var y = Tanh(Sin(x) * Exp(x)) + Square(x);
            y.Backward(createGraph: true);
            var gx = x.Grad!;
            x.ClearGrad();
            gx.Backward();
            return x.Grad!.ToDoubleArray();
        }
        AssertSame(Run(fused: false), Run(fused: true), "second derivative");
    }

    [Fact]
    public void Elementwise_results_stay_pending_until_read_and_one_kernel_computes_a_chain()
    {
        var x = new Variable(Device.FromArray([1f, 2f, 3f], 3));
        long before = Device.KernelLaunches;
        var y = Exp(Square(Sin(x)) * 2);
        Assert.True(y.Data.IsPending);
        Assert.Equal(before, Device.KernelLaunches);
        var values = y.ToArray<float>();
        Assert.Equal(before + 1, Device.KernelLaunches);
        Assert.False(y.Data.IsPending);
        using (Config.NoFusion())
            Assert.Equal(Exp(Square(Sin(x)) * 2).ToArray<float>(), values);
    }

    [Fact]
    public void Small_results_of_computed_operands_stay_eager_where_the_device_says_so()
    {
        using var device = fixture.OpenFresh();
        Assert.Equal(fixture.Kind == DeviceKind.Cpu ? Device.CpuFusionMinElements : 0, device.FusionMinElements);
        device.FusionMinElements = 1000;
        var small = new Variable(device.Ones(999));
        var large = new Variable(device.Ones(1000));
        Assert.False(Exp(small).Data.IsPending);
        Assert.True(Exp(large).Data.IsPending);
        // A pending operand keeps a chain pending, whatever its size.
        var pending = new Variable(device.Ones(3));
        device.FusionMinElements = 0;
        var chain = Exp(pending);
        device.FusionMinElements = 1000;
        Assert.True(Square(chain).Data.IsPending);
        Assert.Throws<ArgumentOutOfRangeException>(() => device.FusionMinElements = -1);
    }

    [Fact]
    public void Without_fusion_every_function_runs_at_once()
    {
        using var eager = Config.NoFusion();
        var x = new Variable(Device.FromArray([1f, 2f, 3f], 3));
        long before = Device.KernelLaunches;
        var y = Exp(Square(x));
        Assert.False(y.Data.IsPending);
        Assert.Equal(before + 2, Device.KernelLaunches);
    }

    [Fact]
    public void A_pending_tensor_read_in_the_middle_of_a_chain_keeps_both_right()
    {
        var x = new Variable(Device.FromArray([0.5f, -1f, 2f], 3));
        var a = Exp(x);
        var b = Square(a) + 1;
        var aValues = a.ToArray<float>();
        var c = b * a;
        var expected = aValues.Select(v => ((v * v) + 1) * v).ToArray();
        Assert.Equal(expected, c.ToArray<float>());
        Assert.Equal(aValues, a.ToArray<float>());
    }

    [Fact]
    public void A_pending_tensor_sees_its_input_as_it_was_before_an_in_place_update()
    {
        var p = new Variable(Device.FromArray([1f, 2f, 3f], 3)) { Grad = new Variable(Device.FromArray([1f, 1f, 1f], 3)) };
        var doubled = p * 2;
        new Sgd(lr: 0.5).Update([p]);
        Assert.Equal([0.5f, 1.5f, 2.5f], p.ToArray<float>());
        Assert.Equal([2f, 4f, 6f], doubled.ToArray<float>());
    }

    [Fact]
    public void A_pending_tensor_outlives_the_disposal_of_its_input()
    {
        var x = new Variable(Device.FromArray([0f, 1f], 2));
        var y = Exp(x) + x;
        x.Dispose();
        Assert.Equal([1f, MathF.E + 1], y.ToArray<float>());
    }

    [Fact]
    public void A_disposed_pending_tensor_is_an_error_that_names_it()
    {
        var y = Exp(new Variable(Device.FromArray([0f, 1f], 2)));
        y.Dispose();
        var e = Assert.Throws<ObjectDisposedException>(() => y.ToArray<float>());
        Assert.Contains("(2,)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_result_that_does_not_fit_fails_when_read_and_loses_nothing()
    {
        using var device = OpenFresh();
        var x = new Variable(device.Ones(100, 100, 100));
        var y = Square(Exp(x));
        device.Memory.Limit = device.Memory.AllocatedBytes;
        Assert.Throws<DeviceOutOfMemoryException>(() => y.Data.Realize());
        Assert.True(y.Data.IsPending);
        Assert.Equal(Buffer, device.Memory.AllocatedBytes);
        device.Memory.Limit = null;
        Assert.Equal((float)Math.Exp(2), y.ToArray<float>()[^1], 5);
        Assert.Equal(2 * Buffer, device.Memory.AllocatedBytes);
    }

    [Fact]
    public void Long_chains_and_many_inputs_are_split_into_kernels_that_fit()
    {
        var x = new Variable(Device.FromArray([0.1, 0.2, 0.3], 3));
        var chain = x;
        for (int i = 0; i < 100; i++)
            chain = (chain * 1.01) + 0.001;
        var sum = x;
        var inputs = Enumerable.Range(1, 12).Select(k => new Variable(Device.FromArray([k, k, (double)k], 3))).ToArray();
        foreach (var v in inputs)
            sum = sum + v;

        double[] Eager(Variable v)
        {
            using var eager = Config.NoFusion();
            var c = x;
            for (int i = 0; i < 100; i++)
                c = (c * 1.01) + 0.001;
            return ReferenceEquals(v, chain) ? c.ToDoubleArray() : inputs.Aggregate(x, (s, t) => s + t).ToDoubleArray();
        }
        Assert.Equal(Eager(chain), chain.ToDoubleArray());
        Assert.Equal(Eager(sum), sum.ToDoubleArray());
    }

    [Fact]
    public void Seed_nograd_peaks_at_x_and_y()
    {
        using var device = OpenFresh();
        using (Config.NoGrad())
        {
            var x = new Variable(device.Ones(100, 100, 100));
            var y = Square(Square(Square(x)));
            y.Data.Realize();
            Assert.Equal(2 * Buffer, device.Memory.PeakAllocatedBytes);
            Assert.Equal(1.0, y.ToDoubleArray()[0]);
        }
    }

    [Fact]
    public void Seed_backward_peaks_at_x_y_and_the_gradient()
    {
        using var device = OpenFresh();
        var x = new Variable(device.Ones(100, 100, 100));
        var y = Square(Square(Square(x)));
        y.Data.Realize();
        y.Backward();
        Assert.Equal(8.0, x.Grad!.ToDoubleArray()[12345]);
        Assert.Equal(3 * Buffer, device.Memory.PeakAllocatedBytes);
    }

    [Fact]
    public void Seed_backward_with_retained_gradients_peaks_at_six()
    {
        using var device = OpenFresh();
        var x = new Variable(device.Ones(100, 100, 100));
        var y = Square(Square(Square(x)));
        y.Data.Realize();
        y.Backward(retainGrad: true);
        var b = y.Creator!.Inputs[0];
        var a = b.Creator!.Inputs[0];
        Assert.Equal([1.0, 2.0, 4.0, 8.0], new[] { y, b, a, x }.Select(v => v.Grad!.ToDoubleArray()[7]));
        Assert.Equal(6 * Buffer, device.Memory.PeakAllocatedBytes);
    }

    [Fact]
    public void Threads_that_fuse_at_once_share_the_compiled_expressions_and_get_right_values()
    {
        var x = new Variable(Device.FromArray(Enumerable.Range(0, 1000).Select(i => i / 1000.0).ToArray(), 1000));
        double[] expected;
        using (Config.NoFusion())
            expected = Tanh(Exp(x) * x).ToDoubleArray();
        var results = new double[8][];
        Parallel.For(0, 8 * 16, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var y = Tanh(Exp(x) * x);
            if (i % 16 == 0)
                results[i / 16] = y.ToDoubleArray();
            else
                y.Data.Realize();
        });
        Assert.All(results, r => AssertSame(expected, r, "threads"));
    }

    private (double[] Y, double[][] Grads) Evaluate(OpCase c, HostArray[] inputs, DType dtype, bool fused)
    {
        using var mode = Config.UsingConfig(Config.FusionName, fused);
        var xs = inputs.Select(h => new Variable(h.ToTensor(Device, dtype))).ToArray();
        var y = c.Apply(xs);
        var values = y.ToDoubleArray();
        y.Backward();
        return (values, xs.Select(x => x.Grad?.ToDoubleArray() ?? []).ToArray());
    }

    /// <summary>Bit for bit on the CPU accelerator; on GPUs a contracted multiply-add may round once instead of twice.</summary>
    private void AssertSame(double[] expected, double[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            bool same = e.Equals(a) || (fixture.Kind != DeviceKind.Cpu && Math.Abs(a - e) <= 1e-6 * Math.Max(1, Math.Abs(e)));
            Assert.True(same, $"{what}, element {i}: fused {a:R}, eager {e:R}");
        }
    }
}

public sealed class CpuFusionTests(CpuFixture fixture) : FusionTests<CpuFixture>(fixture);

public sealed class CudaFusionTests(CudaFixture fixture) : FusionTests<CudaFixture>(fixture);

public sealed class OpenCLFusionTests(OpenCLFixture fixture) : FusionTests<OpenCLFixture>(fixture);
