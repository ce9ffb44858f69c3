using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Benchmarks;

/// <summary>
/// The seed's experiment on float32 tensors of N elements: <c>y = Square(Square(Square(x))); y.Backward()</c>,
/// and the same forward with backprop off, each written two ways. The baseline of each category runs in its own
/// <see cref="TensorScope"/> and clears x's gradient, so every buffer it made returns to the pool at once; the <c>*Natural</c> variant is
/// the seed's code as written (no scope, no Dispose) and leaves its tensors to the pool's garbage collections, so
/// the <c>Ratio</c> column is natural / scoped. Every call ends with <see cref="Device.Synchronize"/>. x is made
/// once, outside the timing, as the baselines do. Bytes per element: the forward moves 3 × 8; the backward fills
/// the seed gradient (4) and runs three fused backward kernels (3 × 12): 64 with grad, 24 without.
/// BenchmarkDotNet's forced collection between iterations is off: the natural variants pay for their own.
/// </summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
[CategoriesColumn]
[GcForce(false)]
public class SeedBenchmarks : PoolBenchmarks
{
    private Tensor xData = null!;

    /// <summary>Elements: 10⁴ (launch-bound), 100³ (the seed's size), 200³ (the NumPy baseline's second size); on a GPU also 256M (the PyTorch baseline's largest).</summary>
    [ParamsSource(nameof(Sizes))]
    public long N { get; set; }

    /// <summary>The sizes.</summary>
    public static IEnumerable<long> Sizes()
    {
        yield return 10_000;
        yield return 100 * 100 * 100;
        yield return 200 * 200 * 200;
        if (BenchmarkEnvironment.IncludeLarge)
            yield return BenchmarkEnvironment.Large;
    }

    /// <summary>Opens the device and makes x (ones, as the seed).</summary>
    [GlobalSetup]
    public void Setup()
    {
        Open();
        xData = Device.Ones(BenchmarkEnvironment.ShapeOf(N), DType.Float32);
        // One untimed pass compiles the kernels and fills the pool.
        ForwardBackward();
        NoGradForward();
        StartCounting();
    }

    /// <summary>Forward and backward with graph recording, in a scope.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("FwdBwd"), BytesPerElement(64)]
    public void ForwardBackward()
    {
        Count();
        using (TensorScope.Begin())
        {
            var x = new Variable(xData);
            var y = Square(Square(Square(x)));
            y.Backward();
            Device.Synchronize();
            // x's gradient belongs to x's data, made outside the scope: give it back as DeZero's cleargrad does.
            x.ClearGrad();
        }
    }

    /// <summary>The same as the seed writes it: no scope, no Dispose.</summary>
    [Benchmark, BenchmarkCategory("FwdBwd"), BytesPerElement(64)]
    public void ForwardBackwardNatural()
    {
        Count();
        var x = new Variable(xData);
        var y = Square(Square(Square(x)));
        y.Backward();
        Device.Synchronize();
    }

    /// <summary>The forward alone with backprop off (nothing is recorded), in a scope.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("NoGrad"), BytesPerElement(24)]
    public void NoGradForward()
    {
        Count();
        using (Config.NoGrad())
        using (TensorScope.Begin())
        {
            var x = new Variable(xData);
            Square(Square(Square(x)));
            Device.Synchronize();
        }
    }

    /// <summary>The same as the seed writes it: no scope, no Dispose.</summary>
    [Benchmark, BenchmarkCategory("NoGrad"), BytesPerElement(24)]
    public void NoGradForwardNatural()
    {
        Count();
        using (Config.NoGrad())
        {
            var x = new Variable(xData);
            Square(Square(Square(x)));
            Device.Synchronize();
        }
    }
}
