using System.Numerics;
using System.Runtime.InteropServices;
using AutoDiff.Gpu.Functions;
using BenchmarkDotNet.Attributes;

namespace AutoDiff.Gpu.Benchmarks;

/// <summary>
/// Throughput of one elementwise operation on float32 tensors of N elements, synchronized after each call:
/// the forward <c>y = x²</c> (8 bytes per element: read x, write y) and the fused backward
/// <c>gx = 2·x·gy</c> (12 bytes per element: read x and gy, write gx). <c>*Kernel</c> launches into a buffer
/// allocated beforehand; <c>*Op</c> is the engine's tensor-level operation (a pooled output buffer rented and
/// returned per call). <c>HostSquare</c> is a host reference: the same <c>y = x²</c> on managed arrays with
/// SIMD on every core, the memory bandwidth the CPU accelerator competes with; <c>HostSquareScalar</c> is the
/// loop the CPU accelerator's kernel runs (one contiguous chunk per core, <c>SquareOperator.Apply</c> per
/// element through pointers), without the launch.
/// </summary>
public unsafe class ElementwiseBenchmarks
{
    private Device device = null!;
    private Tensor x = null!;
    private Tensor gy = null!;
    private Tensor y = null!;
    private float[] hostX = [];
    private float[] hostY = [];

    /// <summary>Elements per tensor.</summary>
    [ParamsSource(nameof(Sizes))]
    public long N { get; set; }

    /// <summary>1M and 16M elements, and 256M on a GPU (see <see cref="BenchmarkEnvironment.IncludeLarge"/>).</summary>
    public static IEnumerable<long> Sizes()
    {
        yield return 1_000_000;
        yield return 16_000_000;
        if (BenchmarkEnvironment.IncludeLarge)
            yield return BenchmarkEnvironment.Large;
    }

    /// <summary>Opens the device and fills the operands.</summary>
    [GlobalSetup]
    public void Setup()
    {
        device = BenchmarkEnvironment.Open();
        var shape = new Shape(checked((int)N));
        x = device.Full(shape, 1.5, DType.Float32);
        gy = device.Full(shape, 0.5, DType.Float32);
        y = device.Empty(shape, DType.Float32);
        device.Synchronize();
    }

    /// <summary>Allocates the host arrays of the host reference only.</summary>
    [GlobalSetup(Targets = [nameof(HostSquare), nameof(HostSquareScalar)])]
    public void SetupHost()
    {
        hostX = GC.AllocateUninitializedArray<float>(checked((int)N));
        hostY = GC.AllocateUninitializedArray<float>(checked((int)N));
        hostX.AsSpan().Fill(1.5f);
        hostY.AsSpan().Clear();
    }

    /// <summary>Frees everything.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        device?.Dispose();
        hostX = [];
        hostY = [];
    }

    /// <summary>y = x² launched into a preallocated y.</summary>
    [Benchmark, BytesPerElement(8)]
    public void SquareKernel()
    {
        using (device.EnterLaunch())
            device.Kernels.Map<float, SquareOperator>(x.View<float>(), y.View<float>());
        device.Synchronize();
    }

    /// <summary>y = x² as the engine's operation: output from the pool, returned after the call.</summary>
    [Benchmark, BytesPerElement(8)]
    public void SquareOp()
    {
        using var result = Launch.Map(x, default(SquareOperator));
        device.Synchronize();
    }

    /// <summary>gx = 2·x·gy (Square's fused backward) launched into a preallocated gx.</summary>
    [Benchmark, BytesPerElement(12)]
    public void SquareBackwardKernel()
    {
        using (device.EnterLaunch())
            device.Kernels.Zip<float, SquareBackwardOperator>(x.View<float>(), gy.View<float>(), y.View<float>());
        device.Synchronize();
    }

    /// <summary>gx = 2·x·gy as the engine's operation: output from the pool, returned after the call.</summary>
    [Benchmark, BytesPerElement(12)]
    public void SquareBackwardOp()
    {
        using var result = Launch.Zip("Square", x, gy, default(SquareBackwardOperator));
        device.Synchronize();
    }

    /// <summary>Host reference: y = x² on managed arrays, one contiguous chunk per core, SIMD.</summary>
    [Benchmark, BytesPerElement(8)]
    public void HostSquare() => ForEachChunk((start, count) =>
    {
        var source = MemoryMarshal.Cast<float, Vector<float>>(hostX.AsSpan(start, count));
        var target = MemoryMarshal.Cast<float, Vector<float>>(hostY.AsSpan(start, count));
        for (int i = 0; i < source.Length; i++)
            target[i] = source[i] * source[i];
        for (int i = start + (source.Length * Vector<float>.Count); i < start + count; i++)
            hostY[i] = hostX[i] * hostX[i];
    });

    /// <summary>Host reference: the CPU kernel's scalar loop on managed arrays, one contiguous chunk per core.</summary>
    [Benchmark, BytesPerElement(8)]
    public void HostSquareScalar() => ForEachChunk((start, count) =>
    {
        fixed (float* px = &hostX[start])
        fixed (float* py = &hostY[start])
        {
            for (long i = 0; i < count; i++)
                py[i] = default(SquareOperator).Apply(px[i]);
        }
    });

    /// <summary>Runs <paramref name="body"/>(start, count) on one contiguous chunk of the host arrays per core.</summary>
    private void ForEachChunk(Action<int, int> body)
    {
        int parts = Environment.ProcessorCount;
        int chunk = (hostX.Length + parts - 1) / parts;
        Parallel.For(0, parts, part =>
        {
            int start = part * chunk;
            int count = Math.Min(chunk, hostX.Length - start);
            if (count > 0)
                body(start, count);
        });
    }
}
