using AutoDiff.Gpu.Functions;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Benchmarks;

/// <summary>
/// Host cost per operation on a float32 scalar, where the data movement is nil. Calls without
/// <c>Synchronize</c> measure the steady rate of issuing work: on a GPU, launches are asynchronous, so when the
/// host issues faster than the device runs tiny kernels the figure is the device's rate instead. Each operation
/// that makes tensors comes twice in its category: disposing them (or in a scope: the baseline) and
/// <c>*Natural</c>, as the seed's code drops them, so the <c>Ratio</c> column is natural / disposed.
/// </summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
[CategoriesColumn]
[GcForce(false)]
public class OverheadBenchmarks : PoolBenchmarks
{
    private Tensor x = null!;
    private Tensor y = null!;
    private Variable xv = null!;

    /// <summary>Opens the device and makes the scalars.</summary>
    [GlobalSetup]
    public void Setup()
    {
        Open();
        x = Device.Scalar(1.5f);
        y = Device.Scalar(0f);
        xv = new Variable(Device.Scalar(1.5f));
        SeedScalar();
        Device.Synchronize();
        StartCounting();
    }

    /// <summary>The bare kernel launch into a preallocated output (no synchronization).</summary>
    [Benchmark, BenchmarkCategory("Launch")]
    public void KernelLaunch()
    {
        using (Device.EnterLaunch())
            Device.Kernels.Map<float, SquareOperator>(x.View<float>(), y.View<float>());
    }

    /// <summary>Launch and wait: the round trip of one tiny kernel.</summary>
    [Benchmark, BenchmarkCategory("LaunchSync")]
    public void KernelLaunchSynchronize()
    {
        using (Device.EnterLaunch())
            Device.Kernels.Map<float, SquareOperator>(x.View<float>(), y.View<float>());
        Device.Synchronize();
    }

    /// <summary>The tensor-level operation: checks, pooled output, launch, return of the output.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("TensorSquare")]
    public void TensorSquare()
    {
        Count();
        using var result = Launch.Map(x, default(SquareOperator));
    }

    /// <summary>The same, the output dropped: the pool finds it after a collection.</summary>
    [Benchmark, BenchmarkCategory("TensorSquare")]
    public void TensorSquareNatural()
    {
        Count();
        Launch.Map(x, default(SquareOperator));
    }

    /// <summary><c>F.Square</c> with backprop off: a Function and a Variable, no graph.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("VariableSquareNoGrad")]
    public void VariableSquareNoGrad()
    {
        Count();
        using (Config.NoGrad())
        {
            using var result = Square(xv);
        }
    }

    /// <summary>The same, the output dropped.</summary>
    [Benchmark, BenchmarkCategory("VariableSquareNoGrad")]
    public void VariableSquareNoGradNatural()
    {
        Count();
        using (Config.NoGrad())
            Square(xv);
    }

    /// <summary><c>F.Square</c> recording the graph (inputs, weak output references, generation).</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("VariableSquare")]
    public void VariableSquare()
    {
        Count();
        using var result = Square(xv);
    }

    /// <summary>The same, the output dropped.</summary>
    [Benchmark, BenchmarkCategory("VariableSquare")]
    public void VariableSquareNatural()
    {
        Count();
        Square(xv);
    }

    /// <summary>A whole seed iteration on a scalar in a scope, synchronized: 3 forward ops, the seed gradient, 3 backward ops; then the gradient is cleared.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("SeedScalar")]
    public void SeedScalar()
    {
        Count();
        using (TensorScope.Begin())
        {
            var v = new Variable(x);
            var r = Square(Square(Square(v)));
            r.Backward();
            Device.Synchronize();
            v.ClearGrad();   // v's gradient belongs to x, made outside the scope
        }
    }

    /// <summary>The same as the seed writes it: no scope, no Dispose.</summary>
    [Benchmark, BenchmarkCategory("SeedScalar")]
    public void SeedScalarNatural()
    {
        Count();
        var v = new Variable(x);
        var r = Square(Square(Square(v)));
        r.Backward();
        Device.Synchronize();
    }
}
