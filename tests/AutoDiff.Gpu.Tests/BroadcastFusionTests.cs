using AutoDiff.Gpu.Optimizers;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// Broadcast operands inside fused expressions: every broadcast pattern gives the eager values and gradients (bit
/// for bit on the CPU accelerator) in one kernel; a pending, disposed or updated broadcast input keeps its values;
/// an expression compiles once per layout class; bias adds, batch norm and softmax launch fewer kernels.
/// </summary>
public abstract class BroadcastFusionTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    /// <summary>The class's device, fusing results of every size.</summary>
    private Device Device => FusionSteps.FusingAll(fixture);

    [Theory]
    [MemberData(nameof(BroadcastPatterns.Names), MemberType = typeof(BroadcastPatterns))]
    public void Every_broadcast_pattern_is_one_kernel_with_the_eager_values_and_gradients(string pattern, DType dtype)
    {
        var (shapeA, shapeB) = BroadcastPatterns.Shapes[pattern];
        var a = Values(shapeA, seed: 1, dtype);
        var b = Values(shapeB, seed: 2, dtype);
        (double[] Y, double[] Ga, double[] Gb) Run(bool fused)
        {
            using var mode = Config.UsingConfig(Config.FusionName, fused);
            var (va, vb) = (new Variable(a.To(dtype)), new Variable(b.To(dtype)));
            var sum = va + vb;
            // b read twice (one slot), a broadcast again where it is the smaller operand.
            var y = Tanh(sum * vb) - va;
            // Past three terms a broadcast zip runs eagerly: a in (2, 4, 3, 6, 5, 8, 7) steps along four axes.
            bool fits = fused && pattern != "past three terms";
            Assert.Equal(fits, y.Data.IsPending);
            Assert.Equal(fits, sum.Data.IsPending);
            long before = Device.KernelLaunches;
            var values = y.ToDoubleArray();
            if (fits)
                Assert.Equal(before + 1, Device.KernelLaunches);
            y.Backward();
            return (values, va.Grad!.ToDoubleArray(), vb.Grad!.ToDoubleArray());
        }
        var (eager, fusedRun) = (Run(fused: false), Run(fused: true));
        AssertSame(eager.Y, fusedRun.Y, $"{pattern} forward");
        AssertSame(eager.Ga, fusedRun.Ga, $"{pattern} gradient of a");
        AssertSame(eager.Gb, fusedRun.Gb, $"{pattern} gradient of b");
    }

    [Theory]
    [InlineData(new[] { 300 })]
    [InlineData(new[] { 37, 1 })]
    public void A_broadcast_operands_gradient_sums_over_the_axes_it_was_repeated_along(int[] shapeB)
    {
        var x = Values([37, 300], seed: 3, DType.Float64);
        var b = Values(shapeB, seed: 4, DType.Float64);
        var vb = new Variable(b);
        Sum(Square(new Variable(x) + vb)).Backward();
        // d/db Σ (x + b)² = Σ 2(x + b) over the elements each b feeds.
        var (xs, bs) = (x.ToArray<double>(), b.ToArray<double>());
        var expected = new double[bs.Length];
        for (int i = 0; i < xs.Length; i++)
        {
            int k = shapeB.Length == 1 ? i % 300 : i / 300;
            expected[k] += 2 * (xs[i] + bs[k]);
        }
        var actual = vb.Grad!.ToArray<double>();
        for (int k = 0; k < expected.Length; k++)
            Assert.Equal(expected[k], actual[k], 1e-9);
    }

    [Fact]
    public void A_pending_broadcast_operand_is_computed_first_then_read_where_it_is()
    {
        var x = new Variable(Values([37, 300], seed: 5, DType.Float32));
        var row = new Variable(Values([300], seed: 6, DType.Float32));
        var scaled = Exp(row);
        Assert.True(scaled.Data.IsPending);
        long before = Device.KernelLaunches;
        var y = x * scaled;
        Assert.Equal(before + 1, Device.KernelLaunches); // the row's exp, 300 elements
        Assert.False(scaled.Data.IsPending);
        Assert.True(y.Data.IsPending);
        var values = y.ToArray<float>();
        Assert.Equal(before + 2, Device.KernelLaunches);
        using (Config.NoFusion())
            Assert.Equal((x * Exp(row)).ToArray<float>(), values);
    }

    [Fact]
    public void A_pending_tensor_sees_its_broadcast_input_as_it_was_before_it_was_disposed_or_updated()
    {
        var x = new Variable(Values([37, 300], seed: 7, DType.Float32));
        var b = new Variable(Values([300], seed: 8, DType.Float32)) { Grad = new Variable(Device.Ones(300)) };
        float[] expected;
        using (Config.NoFusion())
            expected = Exp(x + b).ToArray<float>();
        var copy = new Variable(b.Data.To(DType.Float32));
        var updated = Exp(x + b);
        var freed = Exp(x + copy);
        new Sgd(lr: 0.5).Update([b]);
        copy.Dispose();
        Assert.Equal(expected, updated.ToArray<float>());
        Assert.Equal(expected, freed.ToArray<float>());
    }

    [Fact]
    public void A_reshaped_pending_view_keeps_its_broadcast_reads()
    {
        var x = new Variable(Values([37, 300], seed: 9, DType.Float64));
        var row = new Variable(Values([300], seed: 10, DType.Float64));
        var flat = new Variable(Values([37 * 300], seed: 11, DType.Float64));
        double[] Run()
        {
            var y = Reshape(x + row, 37 * 300) * flat;
            return (Reshape(y, 300, 37) - Reshape(row, 300, 1)).ToDoubleArray();
        }
        double[] eager;
        using (Config.NoFusion())
            eager = Run();
        AssertSame(eager, Run(), "reshaped");
    }

    [Fact]
    public void The_same_expression_over_other_broadcast_sizes_compiles_once_per_layout_class()
    {
        if (!ChildProcess.IsChild)
        {
            fixture.Require();
            string name = nameof(The_same_expression_over_other_broadcast_sizes_compiles_once_per_layout_class);
            ChildProcess.AssertPasses(GetType(), name, TimeSpan.FromMinutes(3));
            return;
        }
        var device = Device;
        Variable Input(int seed, params int[] shape) => new(Values(shape, seed, DType.Float32));
        void Run(int n, int c, bool rowFirst)
        {
            var (row, column) = (Input(2, c), Input(3, n, 1));
            var y = (Exp(Input(1, n, c)) + (rowFirst ? row : column)) * (rowFirst ? column : row);
            y.Data.Realize();
        }
        Run(37, 300, rowFirst: true);
        long warm = device.Compilations;
        Run(11, 23, rowFirst: true);
        Run(5, 1000, rowFirst: true);
        Assert.Equal(warm, device.Compilations);
        // Another class: slot 1 repeats one value along each run, slot 2 steps.
        Run(37, 300, rowFirst: false);
        Assert.True(device.Compilations > warm);
    }

    [Fact]
    public void A_fused_normalization_peaks_at_its_input_and_its_result()
    {
        long Peak(bool fused)
        {
            using var mode = Config.UsingConfig(Config.FusionName, fused);
            using var device = fixture.OpenFresh();
            using var nograd = Config.NoGrad();
            var x = new Variable(device.Ones(100, 100, 100));
            Variable Channels() => new(device.Ones(1, 100, 1));
            var (mu, inverse, beta) = (Channels(), Channels(), Channels());
            var y = Exp((x - mu) * inverse) + beta;
            Assert.Equal(2.0, y.ToDoubleArray()[4321]); // exp((1 − 1)·1) + 1
            return device.Memory.PeakAllocatedBytes;
        }
        long big = DeviceMemory.RoundSize(100 * 100 * 100 * sizeof(float));
        long small = DeviceMemory.RoundSize(100 * sizeof(float));
        Assert.Equal((2 * big) + (3 * small), Peak(fused: true));
        Assert.True(Peak(fused: false) >= (3 * big) + (3 * small));
    }

    [Fact]
    public void Linear_then_relu_reads_the_product_once_with_the_eager_values()
    {
        using var device = fixture.OpenFresh();
        device.FusionMinElements = 1000;
        var x = Values([64, 32], 12, DType.Float32, device);
        var w = Values([32, 300], 13, DType.Float32, device);
        var b = Values([300], 14, DType.Float32, device);
        Variable[] Inputs() => [new(x), new(w), new(b)];
        var fused = Step(device, true, Inputs, v => ReLU(Linear(v[0], v[1], v[2])));
        var eager = Step(device, false, Inputs, v => ReLU(Linear(v[0], v[1], v[2])));
        // The product, then one pass; eager copies the bias in, multiplies, then maps.
        Assert.Equal((2, 3), (fused.Forward, eager.Forward));
        AssertSteps(eager, fused, "linear + relu");
    }

    [Fact]
    public void Batch_norm_launches_fewer_kernels_and_peaks_lower_with_the_eager_values()
    {
        using var device = fixture.OpenFresh();
        device.FusionMinElements = 1000; // the (8,) per-channel values stay eager on every device
        var x = Values([16, 8, 32, 32], 15, DType.Float32, device);
        var (gamma, beta) = (Values([8], 16, DType.Float32, device), Values([8], 17, DType.Float32, device));
        Variable[] Inputs() => [new(x), new(gamma), new(beta)];
        Variable Norm(Variable[] v) => BatchNorm(v[0], v[1], v[2], device.Zeros(8), device.Ones(8));
        var fused = Step(device, true, Inputs, Norm);
        var eager = Step(device, false, Inputs, Norm);
        // Forward: x·scale + shift in one pass, and the squares summed for the variance inside the sum. Backward:
        // the centred and normalized x, and gx's five elementwise steps, inlined into the product summed for γ and
        // into gx; the sums of gy·x̂ and gy read the expressions they sum.
        Assert.Equal((2, 8), (eager.Forward - fused.Forward, eager.Backward - fused.Backward));
        AssertSteps(eager, fused, "batch norm");
        long big = DeviceMemory.RoundSize(16 * 8 * 32 * 32 * sizeof(float));
        // Fused: x, y, the ones that start the pass (a reduction reads them) and one more; eager keeps every step.
        Assert.True(fused.Peak < 5 * big, $"fused peak {fused.Peak} bytes, {big} a tensor");
        Assert.True(eager.Peak >= 10 * big, $"eager peak {eager.Peak} bytes, {big} a tensor");
    }

    [Fact]
    public void Softmax_and_its_cross_entropy_launch_fewer_kernels_with_the_eager_values()
    {
        using var device = fixture.OpenFresh();
        device.FusionMinElements = 1000;
        var x = Values([200, 10], 18, DType.Float32, device);
        int[] labels = [.. Enumerable.Range(0, 200).Select(i => i * 7 % 10)];
        // Softmax: y·gy summed where it is computed, y·Σ(y·gy) inlined, and the ones that start the pass never
        // written. Cross entropy: exp(x − max) summed where it is computed for the log-sum-exp, and
        // softmax(x) = exp(x − lse) inlined into its scaling by gy/N.
        var cases = new (string Name, Func<Variable[], Variable> F, int Forward, int Backward)[]
        {
            ("softmax", v => Softmax(v[0]), 0, 3),
            ("cross entropy", v => SoftmaxCrossEntropy(v[0], labels), 1, 1),
        };
        foreach (var (name, f, forward, backward) in cases)
        {
            var fused = Step(device, true, () => [new(x)], f);
            var eager = Step(device, false, () => [new(x)], f);
            Assert.Equal((forward, backward), (eager.Forward - fused.Forward, eager.Backward - fused.Backward));
            AssertSteps(eager, fused, name);
        }
    }

    private static FusionSteps.Result Step(
        Device device, bool fused, Func<Variable[]> inputs, Func<Variable[], Variable> f) =>
        FusionSteps.Step(device, fused, inputs, f);

    private void AssertSteps(FusionSteps.Result eager, FusionSteps.Result fused, string what) =>
        FusionSteps.AssertSteps(fixture.Kind, eager, fused, what);

    private Tensor Values(int[] shape, int seed, DType dtype, Device? device = null) =>
        FusionSteps.Values(device ?? Device, shape, seed, dtype);

    private void AssertSame(double[] expected, double[] actual, string what) =>
        FusionSteps.AssertSame(fixture.Kind, expected, actual, what);
}

/// <summary>The broadcast patterns of <see cref="BroadcastFusionTests{TFixture}"/>, in both element types.</summary>
public static class BroadcastPatterns
{
    /// <summary>Operand shapes of each pattern: a and b broadcast to their NumPy shape.</summary>
    public static readonly Dictionary<string, (int[] A, int[] B)> Shapes = new()
    {
        ["rows"] = ([37, 300], [300]),
        ["kept rows"] = ([37, 300], [1, 300]),
        ["columns"] = ([37, 300], [37, 1]),
        ["middle axis"] = ([4, 16, 5, 7], [1, 16, 1, 1]),
        ["leading and trailing axes"] = ([4, 1, 35], [4, 16, 35]),
        ["scalar"] = ([37, 300], []),
        ["one element"] = ([37, 300], [1, 1]),
        ["both"] = ([37, 1], [1, 300]),
        ["both, rank 4"] = ([4, 1, 5, 1], [16, 1, 7]),
        ["past three terms"] = ([2, 1, 3, 1, 5, 1, 7], [1, 4, 1, 6, 1, 8, 1]),
    };

    public static TheoryData<string, DType> Names()
    {
        var data = new TheoryData<string, DType>();
        foreach (string name in Shapes.Keys)
        {
            data.Add(name, DType.Float32);
            data.Add(name, DType.Float64);
        }
        return data;
    }
}

/// <summary>Tests that count an accelerator's launches, which every handle on it shares: they run alone.</summary>
[CollectionDefinition(nameof(LaunchCounting), DisableParallelization = true)]
public sealed class LaunchCounting;

[Collection(nameof(LaunchCounting))]
public sealed class CpuBroadcastFusionTests(CpuFixture fixture) : BroadcastFusionTests<CpuFixture>(fixture);

[Collection(nameof(LaunchCounting))]
public sealed class CudaBroadcastFusionTests(CudaFixture fixture) : BroadcastFusionTests<CudaFixture>(fixture);

[Collection(nameof(LaunchCounting))]
public sealed class OpenCLBroadcastFusionTests(OpenCLFixture fixture) : BroadcastFusionTests<OpenCLFixture>(fixture);
