using System.Globalization;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Benchmarks;

/// <summary>
/// Which device the benchmarks run on and which sizes they use. The device is <see cref="Device.Best"/>
/// (<c>AUTODIFF_DEVICE</c> overrides it). The largest sizes (256M elements: 1 GB per float32 buffer) are
/// included on GPUs and left out on the CPU accelerator unless <c>AUTODIFF_BENCH_LARGE=1</c>
/// (<c>AUTODIFF_BENCH_LARGE=0</c> leaves them out everywhere). <c>AUTODIFF_BENCH_BALLAST_MB</c> lists the live
/// managed ballasts the lifetime benchmarks run with (<see cref="PoolBenchmarks"/>), e.g. <c>0,200</c>;
/// <c>AUTODIFF_BENCH_WAVES</c> the grid sizes the kernel elementwise and reduction benchmarks compare, e.g. <c>1,2,4</c>.
/// </summary>
public static class BenchmarkEnvironment
{
    /// <summary>The environment variable that includes (1) or excludes (0) the 256M-element sizes.</summary>
    public const string LargeVariable = "AUTODIFF_BENCH_LARGE";

    /// <summary>The environment variable listing the ballasts, in MB, comma-separated (default <c>0</c>: none).</summary>
    public const string BallastVariable = "AUTODIFF_BENCH_BALLAST_MB";

    /// <summary>Lists the grid sizes in waves that the kernel elementwise and reduction benchmarks compare (<c>1,2,4</c>).</summary>
    public const string WavesVariable = "AUTODIFF_BENCH_WAVES";

    /// <summary>The large size: 256M float32 elements, 1 GB per buffer (as the PyTorch baseline's largest size).</summary>
    public const long Large = 256_000_000;

    private static readonly Lazy<DeviceKind> KindOfBest = new(DetectKind);

    /// <summary>The kind of device the benchmarks open.</summary>
    public static DeviceKind Kind => KindOfBest.Value;

    /// <summary>True when the 256M-element sizes are included.</summary>
    public static bool IncludeLarge
    {
        get
        {
            string? value = Environment.GetEnvironmentVariable(LargeVariable)?.Trim();
            if (value is "1" or "true" or "yes")
                return true;
            if (value is "0" or "false" or "no")
                return false;
            return Kind != DeviceKind.Cpu;
        }
    }

    /// <summary>The ballasts in MB from <see cref="BallastVariable"/>, in the order given; <c>[0]</c> when unset.</summary>
    /// <exception cref="InvalidOperationException">The variable holds something else than whole numbers of MB.</exception>
    public static IReadOnlyList<int> Ballasts() => WholeNumbers(BallastVariable, 0, 0, "number of MB; write e.g. 0,200");

    /// <summary>
    /// The grid sizes (<see cref="KernelLibrary.Waves"/>) the kernel elementwise and reduction benchmarks run with, from
    /// <see cref="WavesVariable"/>; the library's default alone when unset.
    /// </summary>
    /// <exception cref="InvalidOperationException">The variable holds something else than whole numbers from 1.</exception>
    public static IReadOnlyList<int> Waves() => WholeNumbers(WavesVariable, LaunchPlan.GpuWaves, 1, "number of waves from 1; write e.g. 1,2,4");

    /// <summary>The distinct whole numbers, at least <paramref name="minimum"/>, that <paramref name="variable"/> lists, in order; [<paramref name="unset"/>] when it lists none.</summary>
    private static List<int> WholeNumbers(string variable, int unset, int minimum, string expected)
    {
        string? value = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrWhiteSpace(value))
            return [unset];
        List<int> numbers = [];
        foreach (string part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int number) || number < minimum)
                throw new InvalidOperationException($"{variable}={value}: '{part}' is not a whole {expected}");
            if (!numbers.Contains(number))
                numbers.Add(number);
        }
        return numbers.Count > 0 ? numbers : [unset];
    }

    /// <summary>Opens the device the benchmarks measure.</summary>
    public static Device Open() => Device.Best();

    /// <summary>A readable element count: <c>1M</c>, <c>256M</c>, <c>100^3</c>.</summary>
    public static string Label(long n)
    {
        long edge = CubeEdge(n);
        if (edge > 0 && n < Large)
            return $"{edge}^3";
        return n % 1_000_000 == 0 ? $"{n / 1_000_000}M" : n.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The shape used for <paramref name="n"/> elements: a cube when <paramref name="n"/> is a perfect cube below 256M (as the seed's 100³), else one dimension.</summary>
    public static Shape ShapeOf(long n)
    {
        long edge = CubeEdge(n);
        return edge > 0 && n < Large ? new Shape((int)edge, (int)edge, (int)edge) : new Shape(checked((int)n));
    }

    private static long CubeEdge(long n)
    {
        long edge = (long)Math.Round(Math.Cbrt(n));
        return edge * edge * edge == n ? edge : 0;
    }

    private static DeviceKind DetectKind()
    {
        string? spec = Environment.GetEnvironmentVariable(Device.EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(spec) && Device.ParseId(spec).Kind is { } kind)
            return kind;
        return Device.List()[0].Kind;
    }
}
