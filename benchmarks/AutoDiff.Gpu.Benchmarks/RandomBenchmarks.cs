using BenchmarkDotNet.Attributes;
using static AutoDiff.Gpu.F;

namespace AutoDiff.Gpu.Benchmarks;

/// <summary>
/// Random numbers made on the device and dropout, float32, through the engine: uniform and normal at 4 bytes per
/// element written, dropout at 8 (read x, write y). N is 4Mi, and 256Mi on GPUs. Not in the GPU check's default
/// filter (<c>*Ops*</c>); run with <c>--filter '*RandomBenchmarks*'</c>.
/// </summary>
[Config(typeof(KernelBenchmarkConfig))]
public class RandomBenchmarks : OpsBenchmarks
{
    private Variable x = null!;

    /// <summary>Elements per tensor.</summary>
    [ParamsSource(nameof(Sizes))]
    public long N { get; set; }

    /// <summary>4Mi, and 256Mi on GPUs.</summary>
    public static IEnumerable<long> Sizes() => OpsElementwiseBenchmarks.Sizes();

    [GlobalSetup]
    public void Setup()
    {
        Open();
        Device.Random.ManualSeed(1);
        x = Filled(new Shape(checked((int)N)), 0.75);
        Rand();
    }

    [Benchmark, BytesPerElement(4)]
    public void Rand() => Forward(() => new Variable(Device.Rand(checked((int)N))));

    [Benchmark, BytesPerElement(4)]
    public void RandN() => Forward(() => new Variable(Device.RandN(checked((int)N))));

    /// <summary>Dropout in training, ratio 0.5, as <c>torch.nn.functional.dropout(x, 0.5)</c>.</summary>
    [Benchmark, BytesPerElement(8)]
    public void DropoutHalf() => Forward(() => Dropout(x, 0.5));
}
