using System.Numerics;
using AutoDiff.Gpu.Kernels;
using ILGPU.Runtime;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// The CPU accelerator's reductions at sizes on either side of each of its thresholds: whole vectors, the SIMD leaf
/// (512), the pairwise halves, the smallest segment (4096), the serial launch (32Ki), column blocks (1024) and the
/// split into segments, each planned for 1, 2, 3 and 64 threads; sums, means and maxima against a float64 reference.
/// </summary>
public abstract class KernelReduceSizesTests<T>(KernelFixture fixture) : KernelSuite<T>(fixture, KernelStyle.Chunked)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    [Theory]
    [MemberData(nameof(KernelCases.ReduceAllAndLastAxis), MemberType = typeof(KernelCases))]
    [MemberData(nameof(KernelCases.ReduceFirstAxis), MemberType = typeof(KernelCases))]
    public void Reductions_match_the_reference_however_the_threads_split(long outer, long n, long inner)
    {
        int length = checked((int)(outer * n * inner));
        var x = KernelHost.Values<T>(length, seed: (int)(n + inner), scale: 1, specials: false);
        var dx = KernelHost.AsDouble(x);
        var (sum, magnitude) = KernelHost.Reduce(dx, outer, n, inner, (acc, v) => acc + v, 0);
        var max = KernelHost.Reduce(dx, outer, n, inner, Math.Max, double.NegativeInfinity).Result;
        var mean = Array.ConvertAll(sum, s => s / n);
        double tolerance = (typeof(T) == typeof(float) ? 2e-6 : 1e-14) * magnitude;
        using var bx = Accelerator.Upload(x);
        using var by = Accelerator.Allocate1D<T>(outer * inner);
        var kernels = Kernels;
        try
        {
            foreach (int parallelism in (int[])[0, 1, 3, 64])
            {
                kernels.ReduceParallelism = parallelism;
                string where = $"({outer}, {n}, {inner}) planned for {parallelism} threads";
                kernels.Reduce<T, SumReduction>(bx.Whole(), by.Whole(), outer, n, inner);
                KernelHost.AssertClose(sum, by.Download(), KernelHost.Epsilon<T>(), tolerance, $"sum {where}");
                var scale = new ScaleOperator(1.0 / n);
                kernels.Reduce<T, SumReduction, ScaleOperator>(bx.Whole(), by.Whole(), outer, n, inner, scale);
                KernelHost.AssertClose(mean, by.Download(), KernelHost.Epsilon<T>(), tolerance / n, $"mean {where}");
                kernels.Reduce<T, MaxReduction>(bx.Whole(), by.Whole(), outer, n, inner);
                KernelHost.AssertClose(max, by.Download(), 0, 0, $"max {where}");
            }
        }
        finally
        {
            kernels.ReduceParallelism = 0;
        }
    }

    [Theory]
    [InlineData(1, 513, 1)]
    [InlineData(1, (1 << 20) + 17, 1)]
    [InlineData(1, 4097, 9)]
    public void A_NaN_anywhere_in_a_long_axis_wins_the_max_and_the_sum(long outer, long n, long inner)
    {
        var x = KernelHost.Values<T>((int)(outer * n * inner), seed: 5, scale: 1, specials: false);
        // The last element: the scalar tail where n is no whole number of vectors.
        x[^1] = T.NaN;
        using var bx = Accelerator.Upload(x);
        using var by = Accelerator.Allocate1D<T>(outer * inner);
        Kernels.Reduce<T, MaxReduction>(bx.Whole(), by.Whole(), outer, n, inner);
        Assert.True(T.IsNaN(by.Download()[^1]));
        Kernels.Reduce<T, SumReduction>(bx.Whole(), by.Whole(), outer, n, inner);
        Assert.True(T.IsNaN(by.Download()[^1]));
    }
}

public sealed class KernelReduceSizesTestsFloat(KernelFixture fixture)
    : KernelReduceSizesTests<float>(fixture), IClassFixture<KernelFixture>;

public sealed class KernelReduceSizesTestsDouble(KernelFixture fixture)
    : KernelReduceSizesTests<double>(fixture), IClassFixture<KernelFixture>;
