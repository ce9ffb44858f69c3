using BenchmarkDotNet.Attributes;

namespace AutoDiff.Gpu.Benchmarks;

/// <summary>
/// The caching allocator: <c>Device.Empty</c> + <c>Dispose</c> served from a warm pool, against the same after
/// <c>DeviceMemory.EmptyCache()</c>, which makes every call free the previous block on the device and allocate
/// a new one there (cudaFree + cudaMalloc on CUDA).
/// </summary>
public class AllocationBenchmarks
{
    private Device device = null!;
    private Shape shape = null!;

    /// <summary>Elements: 1M float32 (4 MB, one buffer of the seed at 100³) and 64M (256 MB).</summary>
    [Params(1_000_000L, 64_000_000L)]
    public long N { get; set; }

    /// <summary>Opens the device and warms the pool with one block of the size.</summary>
    [GlobalSetup]
    public void Setup()
    {
        device = BenchmarkEnvironment.Open();
        shape = new Shape(checked((int)N));
        device.Empty(shape, DType.Float32).Dispose();
    }

    /// <summary>Frees everything.</summary>
    [GlobalCleanup]
    public void Cleanup() => device?.Dispose();

    /// <summary>Rent a block from the warm pool and return it.</summary>
    [Benchmark(Baseline = true)]
    public void CachedEmptyDispose() => device.Empty(shape, DType.Float32).Dispose();

    /// <summary>Empty the cache (free the block on the device), then allocate on the device and return to the pool.</summary>
    [Benchmark]
    public void DeviceEmptyDispose()
    {
        device.Memory.EmptyCache();
        device.Empty(shape, DType.Float32).Dispose();
    }
}
