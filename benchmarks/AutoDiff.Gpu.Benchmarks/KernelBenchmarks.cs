using System.Numerics;
using AutoDiff.Gpu.Functions;
using AutoDiff.Gpu.Kernels;
using BenchmarkDotNet.Attributes;
using ILGPU;

namespace AutoDiff.Gpu.Benchmarks;

/// <summary>
/// The kernel layer's elementwise launches on float32, synchronized after each call: unary maps at 8 bytes per
/// element (read x, write y) and binary zips at 12 (read a and b, write y). N is 4Mi, and 256Mi on GPUs — the
/// size of PyTorch's baseline (<c>baselines/torch_ops.py</c>: 716–720 µs for the unary ops, 1057–1060 µs for
/// mul and div on an H100).
/// </summary>
[Config(typeof(KernelBenchmarkConfig))]
public class KernelElementwiseBenchmarks
{
    private KernelBench bench = null!;
    private ArrayView<float> x, b, y;

    /// <summary>Elements per tensor.</summary>
    [ParamsSource(nameof(Sizes))]
    public long N { get; set; }

    /// <summary>Waves of the GPU grids (<see cref="KernelLibrary.Waves"/>): the default, or those <c>AUTODIFF_BENCH_WAVES</c> lists.</summary>
    [ParamsSource(nameof(WaveCounts))]
    public int Waves { get; set; } = LaunchPlan.GpuWaves;

    /// <summary>4Mi, and 256Mi on GPUs.</summary>
    public static IEnumerable<long> Sizes()
    {
        yield return 1L << 22;
        if (KernelBench.Large)
            yield return 1L << 28;
    }

    public static IEnumerable<int> WaveCounts() => BenchmarkEnvironment.Waves();

    [GlobalSetup]
    public void Setup()
    {
        bench = new KernelBench(waves: Waves);
        x = bench.Filled(N, 0.75f);
        b = bench.Filled(N, 1.25f);
        y = bench.Filled(N, 0f);
        bench.Accelerator.Synchronize();
    }

    [GlobalCleanup]
    public void Cleanup() => bench?.Dispose();

    [Benchmark, BytesPerElement(8)]
    public void Exp() => Map(new ExpOperator());

    [Benchmark, BytesPerElement(8)]
    public void Log() => Map(new LogOperator());

    [Benchmark, BytesPerElement(8)]
    public void Sin() => Map(new SinOperator());

    [Benchmark, BytesPerElement(8)]
    public void Tanh() => Map(new TanhOperator());

    [Benchmark, BytesPerElement(8)]
    public void Sigmoid() => Map(new SigmoidOperator());

    [Benchmark, BytesPerElement(8)]
    public void Relu() => Map(new ReLUOperator());

    /// <summary>x³ as the engine computes it (an integer exponent is a chain of products), as PyTorch's pow(x, 3).</summary>
    [Benchmark, BytesPerElement(8)]
    public void Pow() => Map(new PowOperator(3));

    [Benchmark, BytesPerElement(12)]
    public void Mul() => Zip(new MulOperator());

    [Benchmark, BytesPerElement(12)]
    public void Div() => Zip(new DivOperator());

    private void Map<TOp>(TOp op)
        where TOp : struct, IUnaryOperator
    {
        bench.Kernels.Map(x, y, op);
        bench.Accelerator.Synchronize();
    }

    private void Zip<TOp>(TOp op)
        where TOp : struct, IBinaryOperator
    {
        bench.Kernels.Zip(x, b, y, op);
        bench.Accelerator.Synchronize();
    }
}

/// <summary>
/// Broadcasting and reductions on an (R, R) float32 matrix, R = 2048, and 16384 on GPUs (PyTorch on an H100:
/// (16384, 16384) + (16384,) in 867 µs = 2.48 TB/s at 8 bytes per element; sums over all, the last and the
/// first axis in 356 / 347 / 357 µs at 4 bytes per element). N is the number of elements, R².
/// </summary>
[Config(typeof(KernelBenchmarkConfig))]
public class KernelBroadcastReduceBenchmarks
{
    private KernelBench bench = null!;
    private ArrayView<float> x, row, y, sums;
    private int side;

    /// <summary>Elements of the matrix: 2048², and 16384² on GPUs.</summary>
    [ParamsSource(nameof(Sizes))]
    public long N { get; set; }

    /// <summary>Waves of the GPU grids (<see cref="KernelLibrary.Waves"/>): the default, or those <c>AUTODIFF_BENCH_WAVES</c> lists.</summary>
    [ParamsSource(nameof(WaveCounts))]
    public int Waves { get; set; } = LaunchPlan.GpuWaves;

    public static IEnumerable<long> Sizes()
    {
        yield return 2048L * 2048;
        if (KernelBench.Large)
            yield return 16384L * 16384;
    }

    public static IEnumerable<int> WaveCounts() => BenchmarkEnvironment.Waves();

    [GlobalSetup]
    public void Setup()
    {
        side = (int)Math.Sqrt(N);
        bench = new KernelBench(waves: Waves);
        x = bench.Filled(N, 0.5f);
        row = bench.Filled(side, 2f);
        y = bench.Filled(N, 0f);
        sums = bench.Filled(side, 0f);
        bench.Accelerator.Synchronize();
    }

    [GlobalCleanup]
    public void Cleanup() => bench?.Dispose();

    /// <summary>y = x + row: (R, R) + (R,), the rows fast path.</summary>
    [Benchmark, BytesPerElement(8)]
    public void BroadcastAdd()
    {
        bench.Kernels.Zip([side, side], x, new Strided<float>(row, [0, 1]), y, new PlusOperator());
        bench.Accelerator.Synchronize();
    }

    [Benchmark, BytesPerElement(4)]
    public void SumAll()
    {
        bench.Kernels.Reduce<float, SumReduction>(x, sums.SubView(0, 1), 1, N, 1);
        bench.Accelerator.Synchronize();
    }

    [Benchmark, BytesPerElement(4)]
    public void SumLastAxis()
    {
        bench.Kernels.Reduce<float, SumReduction>(x, sums, side, side, 1);
        bench.Accelerator.Synchronize();
    }

    [Benchmark, BytesPerElement(4)]
    public void SumFirstAxis()
    {
        bench.Kernels.Reduce<float, SumReduction>(x, sums, 1, side, side);
        bench.Accelerator.Synchronize();
    }

    /// <summary>y = xᵀ (a strided copy), for comparison with the contiguous paths.</summary>
    [Benchmark, BytesPerElement(8)]
    public void Transpose()
    {
        bench.Kernels.Copy([side, side], new Strided<float>(x, [1, side]), y);
        bench.Accelerator.Synchronize();
    }
}

/// <summary>
/// C = A·B for N×N matrices, N = 512, and 4096 on GPUs, with the library's choice (cuBLAS where it loads) and
/// with the tiled kernel forced (PyTorch, TF32 off, on an H100: 2663 µs = 51.6 TFLOP/s float32, 2270 µs =
/// 60.5 TFLOP/s float64). The implementation in use is printed at set-up.
/// </summary>
[Config(typeof(KernelBenchmarkConfig))]
public class KernelMatMulBenchmarks
{
    private KernelBench bench = null!, tiled = null!;
    private KernelLibrary loadThenCompute = null!, registerTiles = null!, largeTensorCoreTiles = null!;
    private ArrayView<float> a, b, c;
    private ArrayView<double> ad, bd, cd;
    private ArrayView<float> ta, tc;
    private ArrayView<double> tad, tcd;

    /// <summary>Rows (and columns) of the square matrices.</summary>
    [ParamsSource(nameof(Sizes))]
    public long N { get; set; }

    public static IEnumerable<long> Sizes()
    {
        yield return 512;
        if (KernelBench.Large)
            yield return 4096;
    }

    [GlobalSetup]
    public void Setup()
    {
        bench = new KernelBench();
        tiled = new KernelBench(allowCuBlas: false);
        loadThenCompute = new KernelLibrary(tiled.Accelerator) { AllowCuBlas = false, PrefetchTiles = false, TensorCores = false };
        registerTiles = new KernelLibrary(tiled.Accelerator) { AllowCuBlas = false, TensorCores = false };
        largeTensorCoreTiles = new KernelLibrary(tiled.Accelerator) { AllowCuBlas = false, LargeTensorCoreTiles = true };
        Console.WriteLine($"// matmul: {bench.Kernels.MatMulImplementation}{(bench.Kernels.CuBlasUnavailableReason is { } reason ? $" (cuBLAS: {reason})" : "")}; forced: {tiled.Kernels.MatMulImplementation}, float64 on the matrix units: {tiled.Kernels.Float64TensorCores}");
        long n2 = N * N;
        (a, b, c) = (bench.Filled(n2, 0.5f), bench.Filled(n2, 0.25f), bench.Filled(n2, 0f));
        (ad, bd, cd) = (bench.Filled(n2, 0.5), bench.Filled(n2, 0.25), bench.Filled(n2, 0.0));
        (ta, tc, tad, tcd) = (tiled.Filled(n2, 0.5f), tiled.Filled(n2, 0f), tiled.Filled(n2, 0.5), tiled.Filled(n2, 0.0));
        bench.Accelerator.Synchronize();
        tiled.Accelerator.Synchronize();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        tiled?.Dispose();
        bench?.Dispose();
    }

    [Benchmark, Flops(2, 3)]
    public void MatMulFloat32()
    {
        bench.Kernels.MatMul(a, b, c, (int)N, (int)N, (int)N);
        bench.Accelerator.Synchronize();
    }

    [Benchmark, Flops(2, 3)]
    public void MatMulFloat64()
    {
        bench.Kernels.MatMul(ad, bd, cd, (int)N, (int)N, (int)N);
        bench.Accelerator.Synchronize();
    }

    /// <summary>The tiled kernel on the same accelerator (its own context and buffers).</summary>
    [Benchmark, Flops(2, 3)]
    public void MatMulFloat32Tiled()
    {
        tiled.Kernels.MatMul(ta, ta, tc, (int)N, (int)N, (int)N);
        tiled.Accelerator.Synchronize();
    }

    [Benchmark, Flops(2, 3)]
    public void MatMulFloat64Tiled()
    {
        tiled.Kernels.MatMul(tad, tad, tcd, (int)N, (int)N, (int)N);
        tiled.Accelerator.Synchronize();
    }

    /// <summary>The tiled kernel that loads, then computes (no prefetching), on the same buffers.</summary>
    [Benchmark, Flops(2, 3)]
    public void MatMulFloat32TiledNoPrefetch()
    {
        loadThenCompute.MatMul(ta, ta, tc, (int)N, (int)N, (int)N);
        tiled.Accelerator.Synchronize();
    }

    [Benchmark, Flops(2, 3)]
    public void MatMulFloat64TiledNoPrefetch()
    {
        loadThenCompute.MatMul(tad, tad, tcd, (int)N, (int)N, (int)N);
        tiled.Accelerator.Synchronize();
    }

    /// <summary>The float64 tiled kernel on the ordinary units (register tiles, prefetching) where the matrix units would run <see cref="MatMulFloat64Tiled"/>.</summary>
    [Benchmark, Flops(2, 3)]
    public void MatMulFloat64TiledNoTensorCores()
    {
        registerTiles.MatMul(tad, tad, tcd, (int)N, (int)N, (int)N);
        tiled.Accelerator.Synchronize();
    }

    /// <summary>The float64 matrix-unit kernel in 128×128 blocks of eight 32×64 warp tiles (64×64 blocks of four 32×32 in <see cref="MatMulFloat64Tiled"/>).</summary>
    [Benchmark, Flops(2, 3)]
    public void MatMulFloat64TiledLargeTensorCoreTiles()
    {
        largeTensorCoreTiles.MatMul(tad, tad, tcd, (int)N, (int)N, (int)N);
        tiled.Accelerator.Synchronize();
    }
}

/// <summary>
/// Launch-bound calls, synchronized: exp of one element, the sum of 1000, a (10, 100) + (100,) broadcast and a
/// 16×16 product — one per family of launcher (PyTorch's exp of one element on an H100: 10.3 µs). On the CPU
/// accelerator each runs launched directly (on the calling thread, the default) and through ILGPU's launch
/// (<c>Launch = Ilgpu</c>), whose wake-up of its worker threads is what the direct launch saves.
/// </summary>
[Config(typeof(KernelBenchmarkConfig))]
public class KernelTinyBenchmarks
{
    private KernelBench bench = null!;
    private ArrayView<float> x, y;

    /// <summary>How chunked launches run: Direct, and on the CPU accelerator also Ilgpu.</summary>
    [ParamsSource(nameof(Launches))]
    public string Launch { get; set; } = nameof(CpuLaunchMode.Direct);

    public static IEnumerable<string> Launches()
    {
        yield return nameof(CpuLaunchMode.Direct);
        if (BenchmarkEnvironment.Kind == DeviceKind.Cpu)
            yield return nameof(CpuLaunchMode.Ilgpu);
    }

    [GlobalSetup]
    public void Setup()
    {
        bench = new KernelBench();
        bench.Kernels.CpuLaunch = Enum.Parse<CpuLaunchMode>(Launch);
        x = bench.Filled(1000, 0.5f);
        y = bench.Filled(1000, 0f);
        bench.Accelerator.Synchronize();
    }

    [GlobalCleanup]
    public void Cleanup() => bench?.Dispose();

    [Benchmark]
    public void ExpOfOneElement()
    {
        bench.Kernels.Map(x.SubView(0, 1), y.SubView(0, 1), new ExpOperator());
        bench.Accelerator.Synchronize();
    }

    [Benchmark]
    public void SumOfThousand()
    {
        bench.Kernels.Reduce<float, SumReduction>(x, y.SubView(0, 1), 1, 1000, 1);
        bench.Accelerator.Synchronize();
    }

    /// <summary>(10, 100) + (100,): a strided launch.</summary>
    [Benchmark]
    public void BroadcastAddOfThousand()
    {
        bench.Kernels.Zip([10, 100], x, new Strided<float>(x.SubView(0, 100), [0, 1]), y, new PlusOperator());
        bench.Accelerator.Synchronize();
    }

    [Benchmark]
    public void MatMulOf16()
    {
        bench.Kernels.MatMul(x.SubView(0, 256), x.SubView(256, 256), y.SubView(0, 256), 16, 16, 16);
        bench.Accelerator.Synchronize();
    }
}
