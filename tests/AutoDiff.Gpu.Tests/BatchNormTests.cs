using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// Batch normalization beyond its op-table rows (forward and first derivatives): the running statistics, test mode,
/// second derivatives, what the forward keeps on the device, bad input; and embed_id. Bound to each accelerator kind below.
/// </summary>
public abstract class BatchNormTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    protected Device Device => fixture.Require();

    [Fact]
    public void Training_updates_the_running_statistics_as_dezero_does()
    {
        var h = HostArray.Random(new Shape(5, 2, 3), 11);
        var x = new Variable(h.ToTensor(Device, DType.Float64));
        var gamma = new Variable(Device.FromArray([1.5, -0.5]));
        var beta = new Variable(Device.FromArray([0.25, 2.0]));
        var mean = Device.FromArray([0.5, -1.0]);
        var variance = Device.FromArray([2.0, 3.0]);
        var y = BatchNorm(x, gamma, beta, mean, variance, decay: 0.8);
        var expected = OpTable.BatchNormOf(h, new HostArray([1.5, -0.5], new Shape(2)), new HostArray([0.25, 2.0], new Shape(2)), 2e-5);
        KernelHost.AssertNear(expected.Data, y.Data.ToDoubleArray(), 1e-13);

        // m = 15 values a channel: mean ← 0.8·mean + 0.2·μ, var ← 0.8·var + 0.2·(15/14)·σ².
        double[] mu = new double[2], sigma2 = new double[2];
        for (int i = 0; i < h.Data.Length; i++)
            mu[i / 3 % 2] += h.Data[i] / 15;
        for (int i = 0; i < h.Data.Length; i++)
            sigma2[i / 3 % 2] += (h.Data[i] - mu[i / 3 % 2]) * (h.Data[i] - mu[i / 3 % 2]) / 15;
        KernelHost.AssertNear([(0.8 * 0.5) + (0.2 * mu[0]), (0.8 * -1.0) + (0.2 * mu[1])], mean.ToDoubleArray(), 1e-15);
        KernelHost.AssertNear([(0.8 * 2) + (0.2 * 15 / 14 * sigma2[0]), (0.8 * 3) + (0.2 * 15 / 14 * sigma2[1])], variance.ToDoubleArray(), 1e-15);
    }

    [Fact]
    public void Test_mode_uses_the_running_statistics_and_leaves_them_alone()
    {
        var x = new Variable(Device.FromArray(new double[,] { { 1, 2 }, { 3, 4 }, { 5, 7 } }));
        var gamma = new Variable(Device.FromArray([2.0, 1.0]));
        var beta = new Variable(Device.FromArray([0.0, -1.0]));
        var mean = Device.FromArray([1.0, 2.0]);
        var variance = Device.FromArray([4.0, 0.25]);
        Variable y;
        using (Config.TestMode())
            y = BatchNorm(x, gamma, beta, mean, variance);
        double s0 = 2 / Math.Sqrt(4 + 2e-5), s1 = 1 / Math.Sqrt(0.25 + 2e-5);
        KernelHost.AssertNear([0, (2 - 2) * s1 - 1, 2 * s0, (4 - 2) * s1 - 1, 4 * s0, (7 - 2) * s1 - 1], y.Data.ToDoubleArray(), 1e-14);
        Assert.Equal([1.0, 2.0], mean.ToDoubleArray());
        Assert.Equal([4.0, 0.25], variance.ToDoubleArray());
        // Linear in x there: the gradient is γ/√(var + ε) a channel.
        Sum(y).Backward();
        KernelHost.AssertNear([s0, s1, s0, s1, s0, s1], x.Grad!.Data.ToDoubleArray(), 1e-14);
        Assert.Equal([3.0, 3.0], beta.Grad!.Data.ToDoubleArray());
    }

    [Fact]
    public void Second_derivatives_match_central_differences()
    {
        var x = new Variable(HostArray.Random(new Shape(6, 3), 21).ToTensor(Device, DType.Float64));
        var gamma = new Variable(HostArray.Random(new Shape(3), 22).ToTensor(Device, DType.Float64));
        var beta = new Variable(HostArray.Random(new Shape(3), 23).ToTensor(Device, DType.Float64));
        var w = new Variable(HostArray.Random(new Shape(6, 3), 24).ToTensor(Device, DType.Float64));
        var seed = new Variable(HostArray.Random(new Shape(6, 3), 25).ToTensor(Device, DType.Float64));
        Func<Variable[], Variable> loss = u => Sum(Square(BatchNorm(u[0], u[1], u[2], Device.Zeros(new Shape(3), DType.Float64), Device.Ones(new Shape(3), DType.Float64))) * u[3]);
        // The gradient in x, contracted with a fixed seed, as a function of x, γ, β and w.
        var result = GradientCheck.Run(v =>
        {
            // The check evaluates without recording; the gradient's own graph needs it on.
            using var recording = Config.UsingConfig(Config.EnableBackpropName, true);
            var y = loss(v);
            y.Backward(createGraph: true);
            var g = Sum(v[0].Grad! * v[4]);
            foreach (var u in v)
                u.ClearGrad();
            return g;
        }, [x, gamma, beta, w, seed]);
        Assert.True(result.Passed, result.Detail);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_forward_keeps_a_mean_and_scale_per_channel_not_the_normalized_input(bool fused)
    {
        using var mode = Config.UsingConfig(Config.FusionName, fused);
        using var device = fixture.OpenFresh();
        long big = DeviceMemory.RoundSize(1000 * 1000 * sizeof(float)), small = DeviceMemory.RoundSize(1000 * sizeof(float));
        var x = new Variable(device.Ones(1000, 1000));
        var gamma = new Variable(device.Ones(1000));
        var beta = new Variable(device.Zeros(1000));
        var mean = device.Zeros(1000);
        var variance = device.Ones(1000);
        var y = BatchNorm(x, gamma, beta, mean, variance);
        // x and y (fused: y pending, the scale and shift per channel it reads); γ, β, the two running statistics,
        // and the kept μ and 1/√(σ² + ε).
        Assert.Equal(fused, y.Data.IsPending);
        Assert.Equal(fused ? big + (8 * small) : (2 * big) + (6 * small), device.Memory.AllocatedBytes);
        Sum(y).Backward();
        Assert.NotNull(x.Grad);
        GC.KeepAlive(y);
    }

    [Fact]
    public void Bad_input_names_what_is_wrong()
    {
        var x = new Variable(Device.Ones(4, 3));
        var c = new Variable(Device.Ones(3));
        var stat = Device.Ones(3);
        Assert.Contains("x must be (N, C, …), not (4,)", Assert.Throws<ArgumentException>(() => BatchNorm(new Variable(Device.Ones(4)), c, c, stat, stat)).Message, StringComparison.Ordinal);
        Assert.Contains("gamma must be (3,) for x (4, 3), not (4,)", Assert.Throws<ArgumentException>(() => BatchNorm(x, new Variable(Device.Ones(4)), c, stat, stat)).Message, StringComparison.Ordinal);
        Assert.Contains("runningVar", Assert.Throws<ArgumentException>(() => BatchNorm(x, c, c, stat, Device.Ones(3).To(DType.Float64))).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchNorm(x, c, c, stat, stat, eps: 0));
    }

    [Fact]
    public void EmbedId_gathers_rows_and_adds_their_gradients_back()
    {
        var w = new Variable(Device.FromArray(new double[,] { { 1, 2 }, { 3, 4 }, { 5, 6 } }));
        var e = EmbedId([2, 0, 2, -1], w);
        Assert.Equal(new Shape(4, 2), e.Shape);
        Assert.Equal([5.0, 6, 1, 2, 5, 6, 5, 6], e.Data.ToDoubleArray());
        Sum(e).Backward();
        Assert.Equal([1.0, 1, 0, 0, 3, 3], w.Grad!.Data.ToDoubleArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => EmbedId([3], w));
        Assert.Contains("W must be a matrix (V, D)", Assert.Throws<ArgumentException>(() => EmbedId([0], new Variable(Device.Ones(3)))).Message, StringComparison.Ordinal);
    }
}

public sealed class CpuBatchNormTests(CpuFixture fixture) : BatchNormTests<CpuFixture>(fixture);

public sealed class CudaBatchNormTests(CudaFixture fixture) : BatchNormTests<CudaFixture>(fixture);

public sealed class OpenCLBatchNormTests(OpenCLFixture fixture) : BatchNormTests<OpenCLFixture>(fixture);
