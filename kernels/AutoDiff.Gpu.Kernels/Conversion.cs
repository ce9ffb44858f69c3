using System.Numerics;
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;

namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// Element type conversion between float32 and float64 views of equal length: on the CPU accelerator a
/// chunked body run directly (see <see cref="CpuLaunch"/>), elsewhere a grid-stride kernel compiled once per accelerator.
/// </summary>
internal static unsafe class Conversion
{
    private static readonly ConditionalWeakTable<Accelerator, Kernels> Loaded = [];

    /// <summary>Launches <c>y[i] = (double)x[i]</c>.</summary>
    public static void Widen(Accelerator accelerator, ArrayView<float> x, ArrayView<double> y)
    {
        if (Plan(accelerator, x.Length, y.Length) is not { } config)
            return;
        if (accelerator.AcceleratorType == AcceleratorType.CPU)
            OnCpu(accelerator, x, y);
        else
            Of(accelerator).Widen(config, x, y);
    }

    /// <summary>Launches <c>y[i] = (float)x[i]</c> (round to nearest).</summary>
    public static void Narrow(Accelerator accelerator, ArrayView<double> x, ArrayView<float> y)
    {
        if (Plan(accelerator, x.Length, y.Length) is not { } config)
            return;
        if (accelerator.AcceleratorType == AcceleratorType.CPU)
            OnCpu(accelerator, x, y);
        else
            Of(accelerator).Narrow(config, x, y);
    }

    private static void OnCpu<TFrom, TTo>(Accelerator accelerator, ArrayView<TFrom> x, ArrayView<TTo> y)
        where TFrom : unmanaged, IFloatingPointIeee754<TFrom>
        where TTo : unmanaged, IFloatingPointIeee754<TTo> =>
        CpuLaunch.Run(new ConvertBody<TFrom, TTo>(CpuLaunch.Pointer(x), CpuLaunch.Pointer(y)), y.Length, LaunchPlan.ChunkedThreads(accelerator, y.Length));

    private static KernelConfig? Plan(Accelerator accelerator, long x, long y)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        if (x != y)
            throw new ArgumentException($"lengths differ: {x} and {y}", nameof(y));
        return y == 0 ? null : LaunchPlan.For(accelerator, y, KernelStyle.Packed).Config;
    }

    private static Kernels Of(Accelerator accelerator) => Loaded.GetValue(accelerator, static a => new Kernels(a));

    private static void WidenKernel(ArrayView<float> x, ArrayView<double> y)
    {
        for (long i = Grid.GlobalIndex.X; i < y.Length; i += (long)Grid.DimX * Group.DimX)
            y[i] = x[i];
    }

    private static void NarrowKernel(ArrayView<double> x, ArrayView<float> y)
    {
        for (long i = Grid.GlobalIndex.X; i < y.Length; i += (long)Grid.DimX * Group.DimX)
            y[i] = (float)x[i];
    }

    private sealed class Kernels(Accelerator accelerator)
    {
        public Action<KernelConfig, ArrayView<float>, ArrayView<double>> Widen { get; } =
            accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<double>>(WidenKernel);

        public Action<KernelConfig, ArrayView<double>, ArrayView<float>> Narrow { get; } =
            accelerator.LoadStreamKernel<ArrayView<double>, ArrayView<float>>(NarrowKernel);
    }
}

/// <summary>Chunked <c>y[i] = (TTo)x[i]</c> (round to nearest when narrowing).</summary>
internal readonly unsafe struct ConvertBody<TFrom, TTo>(Address<TFrom> x, Address<TTo> y) : ICpuBody
    where TFrom : unmanaged, IFloatingPointIeee754<TFrom>
    where TTo : unmanaged, IFloatingPointIeee754<TTo>
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(long start, long count)
    {
        TFrom* px = (TFrom*)x + start;
        TTo* py = (TTo*)y + start;
        for (long i = 0; i < count; i++)
            py[i] = TTo.CreateTruncating(px[i]);
    }
}
