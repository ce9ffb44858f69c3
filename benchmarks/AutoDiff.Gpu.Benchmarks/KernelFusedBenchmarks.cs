using AutoDiff.Gpu.Functions;
using AutoDiff.Gpu.Kernels;
using BenchmarkDotNet.Attributes;
using ILGPU;

namespace AutoDiff.Gpu.Benchmarks;

/// <summary>
/// The kernel layer's fused launches on float32, synchronized after each call: the seed's forward ((x²)²)² at 8
/// bytes per element and (a − b)·c at 16. On GPUs, aligned views are read and written a 16-byte pack at a time;
/// views one element off take the element-at-a-time path, the fused kernel's only form before packs. N is 4Mi, and
/// 256Mi on GPUs.
/// </summary>
[Config(typeof(KernelBenchmarkConfig))]
public class KernelFusedBenchmarks
{
    private KernelBench bench = null!;
    private ArrayView<float> a, b, c, y;

    /// <summary>Elements per tensor.</summary>
    [ParamsSource(nameof(Sizes))]
    public long N { get; set; }

    /// <summary>Whether the views start 16-byte aligned (packs), or one element later (elements).</summary>
    [Params(true, false)]
    public bool Aligned { get; set; }

    /// <summary>4Mi, and 256Mi on GPUs, as the other elementwise kernels.</summary>
    public static IEnumerable<long> Sizes() => KernelElementwiseBenchmarks.Sizes();

    [GlobalSetup]
    public void Setup()
    {
        bench = new KernelBench();
        int skip = Aligned ? 0 : 1;
        a = bench.Filled(N + skip, 0.75f).SubView(skip, N);
        b = bench.Filled(N + skip, 1.25f).SubView(skip, N);
        c = bench.Filled(N + skip, 0.5f).SubView(skip, N);
        y = bench.Filled(N + skip, 0f).SubView(skip, N);
        bench.Accelerator.Synchronize();
    }

    [GlobalCleanup]
    public void Cleanup() => bench?.Dispose();

    [Benchmark, BytesPerElement(8)]
    public void Seed()
    {
        bench.Kernels.Fused<float, Unary<SquareOperator, Unary<SquareOperator, Unary<SquareOperator, Arg<Slots.S0>>>>>(
            [a], y, default);
        bench.Accelerator.Synchronize();
    }

    [Benchmark, BytesPerElement(16)]
    public void ThreeInputs()
    {
        bench.Kernels.Fused<float, Binary<MulOperator, Binary<SubOperator, Arg<Slots.S0>, Arg<Slots.S1>>,
            Arg<Slots.S2>>>([a, b, c], y, default);
        bench.Accelerator.Synchronize();
    }
}
