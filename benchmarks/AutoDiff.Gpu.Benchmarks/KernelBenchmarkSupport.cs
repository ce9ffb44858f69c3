using System.Globalization;
using System.Reflection;
using AutoDiff.Gpu.Kernels;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace AutoDiff.Gpu.Benchmarks;

/// <summary>
/// The accelerator of the kernel-level benchmarks: the kind <see cref="BenchmarkEnvironment"/> selects, opened on
/// its own ILGPU context as the engine opens it (ILGPU.Algorithms enabled; the CPU accelerator with one OS
/// thread per core), with its <see cref="KernelLibrary"/>. Kernel benchmarks measure the kernel layer alone.
/// </summary>
public sealed class KernelBench : IDisposable
{
    private readonly Context context;

    public KernelBench(bool allowCuBlas = true, int waves = LaunchPlan.GpuWaves)
    {
        var kind = BenchmarkEnvironment.Kind switch
        {
            DeviceKind.Cuda => AcceleratorType.Cuda,
            DeviceKind.OpenCL => AcceleratorType.OpenCL,
            _ => AcceleratorType.CPU,
        };
        var cpu = new CPUDevice(Math.Max(2, Environment.ProcessorCount), 1, 1);
        context = Context.Create(builder => builder.Cuda().OpenCL().CPU(cpu).EnableAlgorithms().Optimize(OptimizationLevel.O2));
        var device = context.Devices.First(d => d.AcceleratorType == kind);
        Accelerator = device.CreateAccelerator(context);
        Kernels = new KernelLibrary(Accelerator) { AllowCuBlas = allowCuBlas, Waves = waves };
    }

    public Accelerator Accelerator { get; }

    public KernelLibrary Kernels { get; }

    /// <summary>True on a GPU: the large sizes (256Mi elements, 16384², 4096² products) run there only, unless <see cref="BenchmarkEnvironment.LargeVariable"/> says otherwise.</summary>
    public static bool Large => BenchmarkEnvironment.IncludeLarge;

    /// <summary>
    /// A view of n elements, every one <paramref name="value"/>, in a buffer freed with the accelerator. On the CPU it
    /// starts on a cache line, as the engine's tensors do (host allocations start 16 bytes past one).
    /// </summary>
    public ArrayView<T> Filled<T>(long n, T value)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        int size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        var buffer = Accelerator.Allocate1D<T>(n + (CpuLaunch.CacheLine / size));
        long skip = Accelerator.AcceleratorType == AcceleratorType.CPU
            ? CpuLaunch.ToCacheLine(buffer.NativePtr) / size
            : 0;
        ArrayView<T> view = buffer.View.SubView(skip, n);
        Kernels.Fill(view, value);
        return view;
    }

    public void Dispose()
    {
        Accelerator.Dispose();
        context.Dispose();
    }
}

/// <summary>Floating-point operations of one call: <c>Factor·N^Power</c> for the benchmark's <c>N</c> parameter (a product of N×N matrices: 2·N³).</summary>
/// <param name="factor">The factor.</param>
/// <param name="power">The power of N.</param>
[AttributeUsage(AttributeTargets.Method)]
public sealed class FlopsAttribute(double factor, int power) : Attribute
{
    /// <summary>The factor.</summary>
    public double Factor { get; } = factor;

    /// <summary>The power of N.</summary>
    public int Power { get; } = power;
}

/// <summary>A summary column with the arithmetic rate, FLOPs per call / median time, in TFLOP/s, for benchmarks marked with <see cref="FlopsAttribute"/>.</summary>
public sealed class FlopsColumn : IColumn
{
    public string Id => nameof(FlopsColumn);

    public string ColumnName => "TFLOP/s";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 1;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Arithmetic rate: floating-point operations per call (Flops: factor × N^power) / median time, in 10^12 per second";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(benchmarkCase);
        var flops = benchmarkCase.Descriptor.WorkloadMethod.GetCustomAttribute<FlopsAttribute>();
        if (flops is null)
            return "-";
        var n = benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == ThroughputColumn.ElementsParameter)?.Value;
        var statistics = summary[benchmarkCase]?.ResultStatistics;
        if (n is not long size || statistics is null || statistics.Median <= 0)
            return "NA";
        double operations = flops.Factor * Math.Pow(size, flops.Power);
        // Operations per nanosecond are GFLOP/s; a thousandth of that is TFLOP/s.
        return (operations / statistics.Median / 1000).ToString("F2", CultureInfo.InvariantCulture);
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public override string ToString() => ColumnName;
}

/// <summary>The kernel benchmarks' configuration: the program's, plus the TFLOP/s column.</summary>
public sealed class KernelBenchmarkConfig : ManualConfig
{
    public KernelBenchmarkConfig()
    {
        AddColumn(new FlopsColumn());
    }
}
