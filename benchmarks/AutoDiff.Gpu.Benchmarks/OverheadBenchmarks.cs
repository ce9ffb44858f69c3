using AutoDiff.Gpu.Functions;
using BenchmarkDotNet.Attributes;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Benchmarks;

/// <summary>
/// Host cost per operation on a float32 scalar, where the data movement is nil. Calls without
/// <c>Synchronize</c> measure the steady rate of issuing work: on a GPU, launches are asynchronous, so when the
/// host issues faster than the device runs tiny kernels the figure is the device's rate instead.
/// </summary>
public class OverheadBenchmarks
{
    private Device device = null!;
    private Tensor x = null!;
    private Tensor y = null!;
    private Variable xv = null!;

    /// <summary>Opens the device and makes the scalars.</summary>
    [GlobalSetup]
    public void Setup()
    {
        device = BenchmarkEnvironment.Open();
        x = device.Scalar(1.5f);
        y = device.Scalar(0f);
        xv = new Variable(device.Scalar(1.5f));
        SeedScalar();
        device.Synchronize();
    }

    /// <summary>Frees everything.</summary>
    [GlobalCleanup]
    public void Cleanup() => device?.Dispose();

    /// <summary>The bare kernel launch into a preallocated output (no synchronization).</summary>
    [Benchmark]
    public void KernelLaunch()
    {
        device.EnterLaunch();
        device.Kernels.Map<float, SquareOperator>(x.View<float>(), y.View<float>());
    }

    /// <summary>Launch and wait: the round trip of one tiny kernel.</summary>
    [Benchmark]
    public void KernelLaunchSynchronize()
    {
        device.EnterLaunch();
        device.Kernels.Map<float, SquareOperator>(x.View<float>(), y.View<float>());
        device.Synchronize();
    }

    /// <summary>The tensor-level operation: checks, pooled output, launch, return of the output.</summary>
    [Benchmark]
    public void TensorSquare()
    {
        using var result = Elementwise.Map<SquareOperator>(x);
    }

    /// <summary><c>F.Square</c> with backprop off: a Function and a Variable, no graph.</summary>
    [Benchmark]
    public void VariableSquareNoGrad()
    {
        using (Config.NoGrad())
        {
            using var result = Square(xv);
        }
    }

    /// <summary><c>F.Square</c> recording the graph (inputs, weak output references, generation).</summary>
    [Benchmark]
    public void VariableSquare()
    {
        using var result = Square(xv);
    }

    /// <summary>A whole seed iteration on a scalar in a scope, synchronized: 3 forward ops, the seed gradient, 3 backward ops.</summary>
    [Benchmark]
    public void SeedScalar()
    {
        using (TensorScope.Begin())
        {
            var v = new Variable(x);
            var r = Square(Square(Square(v)));
            r.Backward();
            device.Synchronize();
        }
    }
}
