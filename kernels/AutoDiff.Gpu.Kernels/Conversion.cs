using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;

namespace AutoDiff.Gpu.Kernels;

/// <summary>Element type conversion between float32 and float64 views of equal length, compiled once per accelerator.</summary>
public static class Conversion
{
    private static readonly ConditionalWeakTable<Accelerator, Kernels> Loaded = [];

    /// <summary>Launches <c>y[i] = (double)x[i]</c>.</summary>
    public static void Widen(Accelerator accelerator, ArrayView<float> x, ArrayView<double> y)
    {
        if (Plan(accelerator, x.Length, y.Length) is { } config)
            Of(accelerator).Widen(config, x, y);
    }

    /// <summary>Launches <c>y[i] = (float)x[i]</c> (round to nearest).</summary>
    public static void Narrow(Accelerator accelerator, ArrayView<double> x, ArrayView<float> y)
    {
        if (Plan(accelerator, x.Length, y.Length) is { } config)
            Of(accelerator).Narrow(config, x, y);
    }

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
