using BenchmarkDotNet.Attributes;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Benchmarks;

/// <summary>
/// Reductions of an elementwise expression over two float32 tensors of N elements, fused (the expression evaluated
/// inside the reduction, never written) and eager (one kernel per function), no gradient, synchronized after each
/// call: <c>mean_squared_error(x, t)</c> and <c>Σ (x − t)²</c>. Each reads 8 bytes per element when fused.
/// </summary>
public class FusedReductionBenchmarks
{
    private Device device = null!;
    private Variable x = null!;
    private Variable t = null!;

    /// <summary>Elements per tensor.</summary>
    [Params(1_000_000, 16 * 1024 * 1024)]
    public int N { get; set; }

    /// <summary>Fused, or one kernel per function.</summary>
    [Params(true, false)]
    public bool Fusion { get; set; }

    /// <summary>Opens the device and fills the operands.</summary>
    [GlobalSetup]
    public void Setup()
    {
        device = BenchmarkEnvironment.Open();
        x = new Variable(device.Full(new Shape(N), 1.5, DType.Float32));
        t = new Variable(device.Full(new Shape(N), 0.5, DType.Float32));
        device.Synchronize();
    }

    /// <summary>Frees everything.</summary>
    [GlobalCleanup]
    public void Cleanup() => device?.Dispose();

    /// <summary>mean_squared_error(x, t): Σ (x − t)² / N.</summary>
    [Benchmark, BytesPerElement(8)]
    public void MeanSquaredErrorLoss() => Run(() => MeanSquaredError(x, t));

    /// <summary>Σ (x − t)²: a difference and a square, then the sum.</summary>
    [Benchmark, BytesPerElement(8)]
    public void SumOfSquares() => Run(() => Sum(Square(x - t)));

    private void Run(Func<Variable> loss)
    {
        using var mode = Config.UsingConfig(Config.FusionName, Fusion);
        using var grad = Config.NoGrad();
        using var y = loss();
        device.Synchronize();
    }
}
