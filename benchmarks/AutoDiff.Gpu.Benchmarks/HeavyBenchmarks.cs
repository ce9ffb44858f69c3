using ILGPU;
using BenchmarkDotNet.Attributes;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Benchmarks;

/// <summary>
/// The heavy cases of the TorchSharp CPU baseline (<c>shared/baselines/torchsharp_cpu</c>), float32, through the
/// engine as a user calls it, each call in a <see cref="TensorScope"/> as the baseline's in a dispose scope: the product
/// of two N×N matrices, forward under <see cref="Config.NoGrad"/> and forward with backward (three products). N is
/// 1024, as the baseline's.
/// </summary>
[Config(typeof(KernelBenchmarkConfig))]
public class HeavyMatMulBenchmarks : OpsBenchmarks
{
    private Tensor aData = null!, bData = null!;

    /// <summary>Rows (and columns) of the square matrices.</summary>
    [ParamsSource(nameof(Sizes))]
    public long N { get; set; }

    public static IEnumerable<long> Sizes() => [1024];

    [GlobalSetup]
    public void Setup()
    {
        Open();
        var shape = new Shape((int)N, (int)N);
        (aData, bData) = (Device.Full(shape, 0.5, DType.Float32), Device.Full(shape, 0.25, DType.Float32));
        Forward();
        ForwardBackward();
    }

    [Benchmark, Flops(2, 3)]
    public void Forward() => Scoped(() => MatMul(new Variable(aData), new Variable(bData)));

    [Benchmark, Flops(6, 3)]
    public void ForwardBackward() => Backward(() => (new Variable(aData), new Variable(bData)), (a, b) => MatMul(a, b));

    /// <summary>Runs <paramref name="op"/> with a graph and its backward in a scope, then clears the inputs' gradients.</summary>
    private void Backward(Func<(Variable, Variable)> inputs, Func<Variable, Variable, Variable> op)
    {
        using (TensorScope.Begin())
        {
            var (a, b) = inputs();
            op(a, b).Backward();
            Device.Synchronize();
            a.ClearGrad();
            b.ClearGrad();
        }
    }
}

/// <summary>
/// The baseline's convolution, float32: x (32, 16, 28, 28) with filters (32, 16, 3, 3) and a bias, stride 1,
/// padding 1 (0.23 GFLOP forward), forward under <see cref="Config.NoGrad"/> and forward with backward, each call in
/// a <see cref="TensorScope"/>; and max pooling 2×2, stride 2, of the same x.
/// </summary>
public class HeavyConvolutionBenchmarks : OpsBenchmarks
{
    private Tensor xData = null!, wData = null!, bData = null!;

    [GlobalSetup]
    public void Setup()
    {
        Open();
        var random = new Random(0);
        Tensor Draw(params int[] shape)
        {
            var values = new float[new Shape(shape).Length];
            for (int i = 0; i < values.Length; i++)
                values[i] = (float)((random.NextDouble() * 2) - 1);
            return Device.FromArray(values, new Shape(shape));
        }
        (xData, wData, bData) = (Draw(32, 16, 28, 28), Draw(32, 16, 3, 3), Draw(32));
        Forward();
        ForwardBackward();
        Pooling();
    }

    [Benchmark]
    public void Forward() => Scoped(() => Conv2d(new Variable(xData), new Variable(wData), new Variable(bData), 1, 1));

    [Benchmark]
    public void ForwardBackward()
    {
        using (TensorScope.Begin())
        {
            Variable x = new(xData), w = new(wData), b = new(bData);
            Conv2d(x, w, b, 1, 1).Backward();
            Device.Synchronize();
            x.ClearGrad();
            w.ClearGrad();
            b.ClearGrad();
        }
    }

    [Benchmark]
    public void Pooling() => Scoped(() => F.Pooling(new Variable(xData), 2, 2));
}

/// <summary>
/// Float32 products of the shapes the heavy cases run, launched on preallocated buffers: m×n×k with op(A), op(B)
/// transposed as named (N: as stored, T: transposed). 1024² as the forward (NN) and the two gradients (NT, TN);
/// the convolution's forward (25088×32×144, NT), its gradient of the columns (25088×144×32, NN) and of the
/// filters (32×144×25088, TN). GFLOP/s = 2·m·n·k / median.
/// </summary>
public class HeavyKernelMatMulBenchmarks
{
    private KernelBench bench = null!;
    private ArrayView<float> a, b, c;
    private (int M, int N, int K, bool TransposeA, bool TransposeB) shape;

    /// <summary>The case: m×n×k and the transposes.</summary>
    [ParamsSource(nameof(Cases))]
    public string Case { get; set; } = "";

    public static IEnumerable<string> Cases() =>
        ["1024x1024x1024 NN", "1024x1024x1024 NT", "1024x1024x1024 TN", "25088x32x144 NT", "25088x144x32 NN", "32x144x25088 TN"];

    [GlobalSetup]
    public void Setup()
    {
        var parts = Case.Split(' ');
        var sizes = Array.ConvertAll(parts[0].Split('x'), int.Parse);
        shape = (sizes[0], sizes[1], sizes[2], parts[1][0] == 'T', parts[1][1] == 'T');
        bench = new KernelBench();
        (a, b, c) = (bench.Filled((long)shape.M * shape.K, 0.5f), bench.Filled((long)shape.K * shape.N, 0.25f), bench.Filled((long)shape.M * shape.N, 0f));
        bench.Accelerator.Synchronize();
    }

    [GlobalCleanup]
    public void Cleanup() => bench?.Dispose();

    [Benchmark]
    public void MatMul()
    {
        bench.Kernels.MatMul(a, b, c, shape.M, shape.N, shape.K, shape.TransposeA, shape.TransposeB);
        bench.Accelerator.Synchronize();
    }
}

/// <summary>
/// The baseline's large elementwise cases, float32, through the engine: exp and the sum of all of N = 16Mi
/// elements, and the broadcast add of a (4096, 4096) matrix and a (4096,) row; each result is computed
/// (<see cref="Tensor.Realize"/>: fusion would otherwise leave it pending) and freed under
/// <see cref="Config.NoGrad"/>.
/// </summary>
public class HeavyElementwiseBenchmarks : OpsBenchmarks
{
    private Variable x = null!, row = null!;

    /// <summary>Elements of x.</summary>
    [ParamsSource(nameof(Sizes))]
    public long N { get; set; }

    public static IEnumerable<long> Sizes() => [1L << 24];

    [GlobalSetup]
    public void Setup()
    {
        Open();
        x = Filled(new Shape(4096, checked((int)N / 4096)), 0.75);
        row = Filled(new Shape(checked((int)N / 4096)), 1.25);
        Exp();
        Sum();
        BroadcastAdd();
    }

    [Benchmark, BytesPerElement(8)]
    public void Exp() => Computed(() => F.Exp(x));

    [Benchmark, BytesPerElement(4)]
    public void Sum() => Computed(() => F.Sum(x));

    [Benchmark, BytesPerElement(8)]
    public void BroadcastAdd() => Computed(() => x + row);

    private void Computed(Func<Variable> op) => Forward(() =>
    {
        var y = op();
        y.Data.Realize();
        return y;
    });
}
