using BenchmarkDotNet.Attributes;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Benchmarks;

/// <summary>
/// The seed's experiment on float32 tensors of N elements: <c>y = Square(Square(Square(x))); y.Backward()</c>,
/// and the same forward with backprop off. Each call runs in its own <see cref="TensorScope"/>, so every buffer
/// it made returns to the pool, and ends with <see cref="Device.Synchronize"/>. x is made once, outside the
/// timing, as the baselines do. Bytes per element: the forward moves 3 × 8; the backward fills the seed gradient
/// (4) and runs three fused backward kernels (3 × 12): 64 with grad, 24 without.
/// </summary>
public class SeedBenchmarks
{
    private Device device = null!;
    private Tensor xData = null!;

    /// <summary>Elements: 100³ (the seed's size) and 200³ (the NumPy baseline's second size); on a GPU also 16M and 256M (the PyTorch baseline's sizes).</summary>
    [ParamsSource(nameof(Sizes))]
    public long N { get; set; }

    /// <summary>The sizes.</summary>
    public static IEnumerable<long> Sizes()
    {
        yield return 100 * 100 * 100;
        yield return 200 * 200 * 200;
        if (BenchmarkEnvironment.IncludeLarge)
        {
            yield return 16_000_000;
            yield return BenchmarkEnvironment.Large;
        }
    }

    /// <summary>Opens the device and makes x (ones, as the seed).</summary>
    [GlobalSetup]
    public void Setup()
    {
        device = BenchmarkEnvironment.Open();
        xData = device.Ones(BenchmarkEnvironment.ShapeOf(N), DType.Float32);
        // One untimed pass compiles the kernels and fills the pool.
        ForwardBackward();
        NoGradForward();
    }

    /// <summary>Frees everything.</summary>
    [GlobalCleanup]
    public void Cleanup() => device?.Dispose();

    /// <summary>Forward and backward with graph recording.</summary>
    [Benchmark, BytesPerElement(64)]
    public void ForwardBackward()
    {
        using (TensorScope.Begin())
        {
            var x = new Variable(xData);
            var y = Square(Square(Square(x)));
            y.Backward();
            device.Synchronize();
        }
    }

    /// <summary>The forward alone with backprop off (nothing is recorded).</summary>
    [Benchmark, BytesPerElement(24)]
    public void NoGradForward()
    {
        using (Config.NoGrad())
        using (TensorScope.Begin())
        {
            var x = new Variable(xData);
            Square(Square(Square(x)));
            device.Synchronize();
        }
    }
}
