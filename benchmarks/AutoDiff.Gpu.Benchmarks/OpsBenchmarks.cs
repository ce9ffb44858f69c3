using AutoDiff.Gpu.Experiments;
using BenchmarkDotNet.Attributes;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Benchmarks;

/// <summary>
/// The base of the operator benchmarks, which measure through the engine as a user calls it (variables,
/// functions, pooled outputs), next to the kernel-level benchmarks (<c>Kernel*Benchmarks</c>) of the same cases:
/// opens the device, and runs one forward call under <see cref="Config.NoGrad"/>, then returns its output to the
/// pool and waits for the device, as PyTorch's baseline times <c>torch.exp(x)</c> (<c>baselines/torch_ops.py</c>).
/// </summary>
public abstract class OpsBenchmarks
{
    /// <summary>The device the case runs on.</summary>
    protected Device Device { get; private set; } = null!;

    /// <summary>Opens the device; call first in the case's setup.</summary>
    protected void Open() => Device = BenchmarkEnvironment.Open();

    /// <summary>A variable of <paramref name="shape"/> float32 (or <paramref name="dtype"/>), every element <paramref name="value"/>.</summary>
    protected Variable Filled(Shape shape, double value, DType dtype = DType.Float32) => new(Device.Full(shape, value, dtype));

    /// <summary>Runs <paramref name="op"/> without a graph, frees its output and waits for the device.</summary>
    protected void Forward(Func<Variable> op)
    {
        ArgumentNullException.ThrowIfNull(op);
        using (Config.NoGrad())
            op().Dispose();
        Device.Synchronize();
    }

    /// <summary>Runs <paramref name="op"/> without a graph in a <see cref="TensorScope"/>, which frees every tensor it made, and waits for the device.</summary>
    protected void Scoped(Func<Variable> op)
    {
        ArgumentNullException.ThrowIfNull(op);
        using (TensorScope.Begin())
        using (Config.NoGrad())
        {
            op();
            Device.Synchronize();
        }
    }

    /// <summary>Frees the device.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        Device?.Dispose();
        Device = null!;
    }
}

/// <summary>
/// Elementwise functions on float32 through the engine: unary ones at 8 bytes per element (read x, write y), binary
/// ones at 12. N is 4Mi, and 256Mi on GPUs (PyTorch on an H100: 716–720 µs for the unary ops, 1057–1060 µs for mul
/// and div; the target is 90 % of its bandwidth).
/// </summary>
[Config(typeof(KernelBenchmarkConfig))]
public class OpsElementwiseBenchmarks : OpsBenchmarks
{
    private Variable x = null!, b = null!;

    /// <summary>Elements per tensor.</summary>
    [ParamsSource(nameof(Sizes))]
    public long N { get; set; }

    /// <summary>4Mi, and 256Mi on GPUs.</summary>
    public static IEnumerable<long> Sizes()
    {
        yield return 1L << 22;
        if (BenchmarkEnvironment.IncludeLarge)
            yield return 1L << 28;
    }

    [GlobalSetup]
    public void Setup()
    {
        Open();
        x = Filled(new Shape(checked((int)N)), 0.75);
        b = Filled(new Shape(checked((int)N)), 1.25);
        Exp();
    }

    [Benchmark, BytesPerElement(8)]
    public void Exp() => Forward(() => F.Exp(x));

    [Benchmark, BytesPerElement(8)]
    public void Log() => Forward(() => F.Log(x));

    [Benchmark, BytesPerElement(8)]
    public void Sin() => Forward(() => F.Sin(x));

    [Benchmark, BytesPerElement(8)]
    public void Tanh() => Forward(() => F.Tanh(x));

    [Benchmark, BytesPerElement(8)]
    public void Sigmoid() => Forward(() => F.Sigmoid(x));

    [Benchmark, BytesPerElement(8)]
    public void Relu() => Forward(() => ReLU(x));

    /// <summary>x³, as PyTorch's pow(x, 3).</summary>
    [Benchmark, BytesPerElement(8)]
    public void Pow() => Forward(() => F.Pow(x, 3));

    [Benchmark, BytesPerElement(12)]
    public void Mul() => Forward(() => x * b);

    [Benchmark, BytesPerElement(12)]
    public void Div() => Forward(() => x / b);
}

/// <summary>
/// Broadcasting and sums on an (R, R) float32 matrix through the engine, R = 2048, and 16384 on GPUs (PyTorch on an
/// H100: (16384, 16384) + (16384,) in 867 µs = 2.48 TB/s at 8 bytes per element, target ≥ 2.7 TB/s; sums over
/// all, the last and the first axis in 356 / 347 / 357 µs at 4 bytes per element, target 85 %). N = R².
/// </summary>
[Config(typeof(KernelBenchmarkConfig))]
public class OpsBroadcastReduceBenchmarks : OpsBenchmarks
{
    private Variable x = null!, row = null!;

    /// <summary>Elements of the matrix: 2048², and 16384² on GPUs.</summary>
    [ParamsSource(nameof(Sizes))]
    public long N { get; set; }

    public static IEnumerable<long> Sizes()
    {
        yield return 2048L * 2048;
        if (BenchmarkEnvironment.IncludeLarge)
            yield return 16384L * 16384;
    }

    [GlobalSetup]
    public void Setup()
    {
        Open();
        int side = (int)Math.Sqrt(N);
        x = Filled(new Shape(side, side), 0.5);
        row = Filled(new Shape(side), 2);
        BroadcastAdd();
    }

    /// <summary>x + row: (R, R) + (R,).</summary>
    [Benchmark, BytesPerElement(8)]
    public void BroadcastAdd() => Forward(() => x + row);

    [Benchmark, BytesPerElement(4)]
    public void SumAll() => Forward(() => Sum(x));

    /// <summary>Σ over the last axis, keepDims (as the baseline's <c>sum(dim=1, keepdim=True)</c>).</summary>
    [Benchmark, BytesPerElement(4)]
    public void SumLastAxis() => Forward(() => Sum(x, -1, keepDims: true));

    [Benchmark, BytesPerElement(4)]
    public void SumFirstAxis() => Forward(() => Sum(x, 0, keepDims: true));
}

/// <summary>
/// C = A·B for N×N matrices through the engine, N = 512, and 4096 on GPUs (PyTorch, TF32 off, on an H100: 2663 µs =
/// 51.6 TFLOP/s float32, 2270 µs = 60.5 TFLOP/s float64; target within 10 % where cuBLAS runs, ≥ 40 % for the
/// tiled kernel). The implementation in use is printed at set-up.
/// </summary>
[Config(typeof(KernelBenchmarkConfig))]
public class OpsMatMulBenchmarks : OpsBenchmarks
{
    private Variable a = null!, b = null!, ad = null!, bd = null!;

    /// <summary>Rows (and columns) of the square matrices.</summary>
    [ParamsSource(nameof(Sizes))]
    public long N { get; set; }

    public static IEnumerable<long> Sizes()
    {
        yield return 512;
        if (BenchmarkEnvironment.IncludeLarge)
            yield return 4096;
    }

    [GlobalSetup]
    public void Setup()
    {
        Open();
        Console.WriteLine($"// matmul on {Device.Id}: {Device.MatMulImplementation}{(Device.CuBlasUnavailableReason is { } reason ? $" (cuBLAS: {reason})" : string.Empty)}");
        var shape = new Shape((int)N, (int)N);
        (a, b) = (Filled(shape, 0.5), Filled(shape, 0.25));
        (ad, bd) = (Filled(shape, 0.5, DType.Float64), Filled(shape, 0.25, DType.Float64));
        MatMulFloat32();
        MatMulFloat64();
    }

    [Benchmark, Flops(2, 3)]
    public void MatMulFloat32() => Forward(() => MatMul(a, b));

    [Benchmark, Flops(2, 3)]
    public void MatMulFloat64() => Forward(() => MatMul(ad, bd));
}

/// <summary>
/// One function on one float32 element: the engine's cost per call where the data is nil. <see cref="ExpOfOneElement"/>
/// waits for the device after each call (latency: launch and round trip); <see cref="ExpOfOneElementPipelined"/>
/// makes <see cref="Calls"/> calls and then waits once, as PyTorch's baseline times <c>torch.exp</c> of one element
/// (<c>baselines/torch_ops.py</c>: 10.3 µs on an H100, 9.75 µs on an H200; the target ≤ 5 µs), disposing of
/// each result; <see cref="ExpOfOneElementPipelinedNatural"/> is the same as the seed's style writes it, leaving the
/// results to the pool's collections.
/// </summary>
public class OpsTinyBenchmarks : OpsBenchmarks
{
    /// <summary>Calls per invocation of the pipelined case.</summary>
    public const int Calls = 1000;

    private Variable x = null!;

    [GlobalSetup]
    public void Setup()
    {
        Open();
        x = Filled(new Shape(1), 0.5);
        ExpOfOneElement();
    }

    [Benchmark]
    public void ExpOfOneElement() => Forward(() => F.Exp(x));

    [Benchmark(OperationsPerInvoke = Calls)]
    public void ExpOfOneElementPipelined()
    {
        using (Config.NoGrad())
        {
            for (int i = 0; i < Calls; i++)
                F.Exp(x).Dispose();
        }
        Device.Synchronize();
    }

    [Benchmark(OperationsPerInvoke = Calls)]
    public void ExpOfOneElementPipelinedNatural()
    {
        using (Config.NoGrad())
        {
            for (int i = 0; i < Calls; i++)
                F.Exp(x);
        }
        Device.Synchronize();
    }
}

/// <summary>
/// One iteration of the book's step 43 (<see cref="SineModel.Step"/>: forward, backward, gradient-descent update of
/// the two-layer sine network, as the experiments program's <c>sine</c> command runs it), then a wait for the device.
/// PyTorch eager on an H100: 853 µs (float32) and 909 µs (float64) per iteration on CUDA, the target
/// ≤ 280 µs; DeZero on NumPy on the 2-core machine: 140 µs (float64), the CPU target ≤ 2× that.
/// </summary>
public class OpsSineBenchmarks : OpsBenchmarks
{
    private SineModel model = null!;

    /// <summary>The element type of the data and the parameters.</summary>
    [Params(DType.Float32, DType.Float64)]
    public DType DType { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        Open();
        model = new SineModel(Device, DType);
        for (int i = 0; i < 20; i++)
            model.Step();
        Device.Synchronize();
    }

    /// <summary>One training iteration; the model keeps learning from call to call, as the loop does.</summary>
    [Benchmark]
    public void TrainingIteration()
    {
        model.Step();
        Device.Synchronize();
    }
}
