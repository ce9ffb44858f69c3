using AutoDiff.Gpu.Optimizers;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// Reductions of pending tensors: the expression is evaluated inside the reduction, never written. Sums, means and
/// maxima over any axes give the eager values and gradients (bit for bit on the CPU accelerator), in the launches of
/// the reduction alone; a pending input's source may be freed or updated first; mean squared error peaks lower.
/// </summary>
public abstract class ReductionFusionTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    /// <summary>The class's device, fusing results of every size.</summary>
    private Device Device => FusionSteps.FusingAll(fixture);

    [Theory]
    [MemberData(nameof(ReductionAxes.Cases), MemberType = typeof(ReductionAxes))]
    public void Sum_mean_and_max_of_an_expression_give_the_eager_values_and_gradients(string name, DType dtype)
    {
        var (axes, keep) = ReductionAxes.Axes[name];
        var x = FusionSteps.Values(Device, [6, 70, 33], 1, dtype);
        var row = FusionSteps.Values(Device, [33], 2, dtype);
        var column = FusionSteps.Values(Device, [6, 70, 1], 3, dtype);
        Variable[] Inputs() => [new(x), new(row), new(column)];
        Variable F(Variable[] v)
        {
            // Broadcast operands inside the expression; their gradients are summed back to their shapes.
            var e = Square(v[0] - v[1]) * v[2];
            Assert.Equal(Config.Fusion, e.Data.IsPending);
            return Sum(e, axes, keep) + Mean(e, axes, keep) + Max(e, axes, keep);
        }
        var eager = FusionSteps.Step(Device, false, Inputs, F);
        var fused = FusionSteps.Step(Device, true, Inputs, F);
        FusionSteps.AssertSteps(fixture.Kind, eager, fused, name);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void A_fused_reduction_launches_what_the_reduction_of_a_computed_tensor_does(DType dtype)
    {
        var x = new Variable(FusionSteps.Values(Device, [300, 700], 4, dtype));
        var y = new Variable(FusionSteps.Values(Device, [300, 700], 5, dtype));
        using var grad = Config.NoGrad();
        var pending = Square(x - y);
        long start = Device.KernelLaunches;
        var fused = Sum(pending, 1);
        long launches = Device.KernelLaunches - start;
        Assert.True(pending.Data.IsPending, "the reduction does not compute the expression it reads");
        var computed = Square(x - y);
        computed.Data.Realize();
        start = Device.KernelLaunches;
        var eager = Sum(computed, 1);
        Assert.Equal(Device.KernelLaunches - start, launches);
        FusionSteps.AssertSame(fixture.Kind, eager.ToDoubleArray(), fused.ToDoubleArray(), "sum over the last axis");
    }

    [Fact]
    public void A_pending_tensor_reduced_after_its_input_is_freed_or_updated_keeps_its_values()
    {
        var values = new float[] { 1f, -2f, 3f, 0.5f };
        float expected = values.Sum(v => v * v * 2);
        var x = new Variable(Device.FromArray(values, 4));
        var freed = Square(x) * 2;
        x.Dispose();
        Assert.Equal(expected, Sum(freed).ToArray<float>()[0]);
        var p = new Variable(Device.FromArray(values, 4)) { Grad = new Variable(Device.Ones(4)) };
        var updated = Square(p) * 2;
        new Sgd(lr: 0.5).Update([p]);
        Assert.Equal(expected, Sum(updated).ToArray<float>()[0]);
        Assert.Equal(values.Select(v => v - 0.5f), p.ToArray<float>());
    }

    [Fact]
    public void Mean_squared_error_of_a_large_tensor_never_writes_the_squared_difference()
    {
        using var device = fixture.OpenFresh();
        long big = DeviceMemory.RoundSize(1000 * 1000 * sizeof(float));
        long scalar = DeviceMemory.RoundSize(sizeof(float));
        var x = new Variable(FusionSteps.Values(device, [1000, 1000], 6, DType.Float32));
        var t = new Variable(FusionSteps.Values(device, [1000, 1000], 7, DType.Float32));
        double Loss(bool fused)
        {
            using var mode = Config.UsingConfig(Config.FusionName, fused);
            using var grad = Config.NoGrad();
            device.Memory.ResetPeak();
            using var loss = MeanSquaredError(x, t);
            return loss.Item();
        }
        double eager = Loss(false);
        long peak = device.Memory.PeakAllocatedBytes;
        Assert.True(peak >= (3 * big) + scalar, $"eager peak {peak} bytes, {big} a tensor");
        double fused = Loss(true);
        // x, t and the loss: (x − t)² is summed where it is computed.
        Assert.Equal((2 * big) + scalar, device.Memory.PeakAllocatedBytes);
        FusionSteps.AssertSame(fixture.Kind, [eager], [fused], "mean squared error");
    }
}

/// <summary>The reductions of <see cref="ReductionFusionTests{TFixture}"/>, in both element types.</summary>
public static class ReductionAxes
{
    /// <summary>The axes each case reduces, and whether it keeps them.</summary>
    public static readonly Dictionary<string, (int[] Axes, bool Keep)> Axes = new()
    {
        ["all"] = ([0, 1, 2], false),
        ["last"] = ([2], false),
        ["first"] = ([0], false),
        ["middle"] = ([1], false),
        ["first and last"] = ([0, 2], false),
        ["last, kept"] = ([2], true),
        ["first, kept"] = ([0], true),
    };

    public static TheoryData<string, DType> Cases()
    {
        var data = new TheoryData<string, DType>();
        foreach (string name in Axes.Keys)
        {
            data.Add(name, DType.Float32);
            data.Add(name, DType.Float64);
        }
        return data;
    }
}

[Collection(nameof(LaunchCounting))]
public sealed class CpuReductionFusionTests(CpuFixture fixture) : ReductionFusionTests<CpuFixture>(fixture);

[Collection(nameof(LaunchCounting))]
public sealed class CudaReductionFusionTests(CudaFixture fixture) : ReductionFusionTests<CudaFixture>(fixture);

[Collection(nameof(LaunchCounting))]
public sealed class OpenCLReductionFusionTests(OpenCLFixture fixture) : ReductionFusionTests<OpenCLFixture>(fixture);
