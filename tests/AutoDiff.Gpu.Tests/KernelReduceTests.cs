using System.Numerics;
using AutoDiff.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// The reduction family against a float64 host reference: sum, max, min and a mean (sum with a post scale)
/// over the last, first, middle and all axes, at sizes that are not multiples of a pack or group, with and
/// without the two-pass split of the reduced axis, with NaN propagation, signed zeros and empty axes.
/// </summary>
public abstract class KernelReduceTests<T>(KernelDeviceFixture fixture, KernelStyle style) : KernelSuite<T>(fixture, style)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    [Theory]
    [MemberData(nameof(KernelCases.ReduceShapes), MemberType = typeof(KernelCases))]
    public void Sum_max_min_and_mean_over_an_axis_match_the_reference(long outer, long n, long inner, int parallelism)
    {
        var x = KernelHost.Values<T>((int)(outer * n * inner), seed: (int)(outer + n + inner), scale: 1, specials: false);
        var dx = KernelHost.AsDouble(x);
        using var bx = x.Length > 0 ? Accelerator.Upload(x) : Accelerator.Allocate1D<T>(1);
        using var by = Accelerator.Allocate1D<T>(outer * inner);
        var kernels = Kernels;
        kernels.ReduceParallelism = parallelism;
        try
        {
            var input = bx.Whole().SubView(0, x.Length);
            kernels.Reduce<T, SumReduction>(input, by.Whole(), outer, n, inner);
            var (sum, magnitude) = KernelHost.Reduce(dx, outer, n, inner, (acc, v) => acc + v, 0);
            KernelHost.AssertClose(sum, by.Download(), KernelHost.Epsilon<T>(), Tolerance(magnitude), "sum");

            kernels.Reduce<T, SumReduction, ScaleOperator>(input, by.Whole(), outer, n, inner, new ScaleOperator(1.0 / Math.Max(1, n)));
            KernelHost.AssertClose(Array.ConvertAll(sum, s => s / Math.Max(1, n)), by.Download(), KernelHost.Epsilon<T>(), Tolerance(magnitude) / Math.Max(1, n), "mean");

            kernels.Reduce<T, MaxReduction>(input, by.Whole(), outer, n, inner);
            KernelHost.AssertClose(KernelHost.Reduce(dx, outer, n, inner, Math.Max, double.NegativeInfinity).Result, by.Download(), 0, 0, "max");

            kernels.Reduce<T, MinReduction>(input, by.Whole(), outer, n, inner);
            KernelHost.AssertClose(KernelHost.Reduce(dx, outer, n, inner, Math.Min, double.PositiveInfinity).Result, by.Download(), 0, 0, "min");
        }
        finally
        {
            kernels.ReduceParallelism = 0;
        }
    }

    [Theory]
    [InlineData(1, 3079, 1)]
    [InlineData(4, 1000, 1)]
    [InlineData(1, 100, 9)]
    public void A_NaN_makes_its_sum_and_max_NaN_and_infinities_survive(long outer, long n, long inner)
    {
        var x = KernelHost.Values<T>((int)(outer * n * inner), seed: 2, scale: 1, specials: false);
        x[(int)(n / 2 * inner)] = T.NaN; // reduces into output 0
        int last = (int)((outer * inner) - 1);
        if (last > 0)
            x[^1] = T.PositiveInfinity; // reduces into the last output
        using var bx = Accelerator.Upload(x);
        using var by = Accelerator.Allocate1D<T>(outer * inner);
        Kernels.Reduce<T, MaxReduction>(bx.Whole(), by.Whole(), outer, n, inner);
        var max = by.Download();
        Kernels.Reduce<T, SumReduction>(bx.Whole(), by.Whole(), outer, n, inner);
        var sum = by.Download();
        Assert.True(T.IsNaN(max[0]));
        Assert.True(T.IsNaN(sum[0]));
        if (last > 0)
        {
            Assert.Equal(T.PositiveInfinity, max[last]);
            Assert.Equal(T.PositiveInfinity, sum[last]);
            Assert.True(T.IsFinite(sum[1]));
        }
    }

    [Theory]
    [MemberData(nameof(KernelCases.SignedZeroShapes), MemberType = typeof(KernelCases))]
    public void Max_puts_positive_zero_above_negative_zero_in_any_order(long outer, long n, long inner) =>
        AssertSignedZeros<MaxReduction>(outer, n, inner, fill: T.NegativeZero, odd: T.Zero);

    [Theory]
    [MemberData(nameof(KernelCases.SignedZeroShapes), MemberType = typeof(KernelCases))]
    public void Min_puts_negative_zero_below_positive_zero_in_any_order(long outer, long n, long inner) =>
        AssertSignedZeros<MinReduction>(outer, n, inner, fill: T.Zero, odd: T.NegativeZero);

    [Fact]
    public void A_float32_sum_of_a_million_ones_is_exact()
    {
        // Sequential float32 accumulation would stop at 2^24; pairwise and per-thread partials do not.
        const int n = 1 << 20;
        using var bx = Accelerator.Allocate1D<T>(n * 3);
        Kernels.Fill(bx.Whole(), T.One);
        using var by = Accelerator.Allocate1D<T>(3);
        Kernels.Reduce<T, SumReduction>(bx.Whole(), by.Whole().SubView(0, 1), 1, n * 3L, 1);
        Assert.Equal(T.CreateTruncating(3.0 * n), by.Download()[0]);
        Kernels.Reduce<T, SumReduction>(bx.Whole(), by.Whole(), 1, n, 3);
        Assert.All(by.Download(), v => Assert.Equal(T.CreateTruncating(n), v));
    }

    [Fact]
    public void Reductions_reject_mismatched_views()
    {
        using var x = Accelerator.Allocate1D<T>(12);
        using var y = Accelerator.Allocate1D<T>(4);
        Assert.Throws<ArgumentException>(() => Kernels.Reduce<T, SumReduction>(x.Whole(), y.Whole(), 2, 3, 3));
        Assert.Throws<ArgumentException>(() => Kernels.Reduce<T, SumReduction>(x.Whole(), y.Whole(), 1, 13, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => Kernels.Reduce<T, SumReduction>(x.Whole(), y.Whole(), 4, -1, 1));
    }

    /// <summary>
    /// Reduces zeros of sign <paramref name="fill"/> with one zero of sign <paramref name="odd"/> in each output but
    /// the last, at a place that moves from output to output: the odd one must win wherever it is.
    /// </summary>
    private void AssertSignedZeros<TReduce>(long outer, long n, long inner, T fill, T odd)
        where TReduce : struct, IReduction
    {
        var x = new T[outer * n * inner];
        Array.Fill(x, fill);
        long outputs = outer * inner;
        for (long o = 0; o < outputs - 1; o++)
            x[((o / inner * n) + ((o * 37) + n - 1) % n) * inner + (o % inner)] = odd;
        using var bx = Accelerator.Upload(x);
        using var by = Accelerator.Allocate1D<T>(outputs);
        Kernels.Reduce<T, TReduce>(bx.Whole(), by.Whole(), outer, n, inner);
        var y = by.Download();
        for (long o = 0; o < outputs; o++)
        {
            bool negative = T.IsNegative(o == outputs - 1 ? fill : odd);
            Assert.True(T.IsZero(y[o]) && T.IsNegative(y[o]) == negative, $"output {o}: {y[o]}");
        }
    }

    /// <summary>A float32 sum's error bound: a few roundings of the sum of magnitudes.</summary>
    private static double Tolerance(double magnitude) => (typeof(T) == typeof(float) ? 2e-6 : 1e-14) * magnitude;
}

public sealed class KernelReduceTestsChunkedFloat(KernelFixture fixture) : KernelReduceTests<float>(fixture, KernelStyle.Chunked), IClassFixture<KernelFixture>;

public sealed class KernelReduceTestsChunkedDouble(KernelFixture fixture) : KernelReduceTests<double>(fixture, KernelStyle.Chunked), IClassFixture<KernelFixture>;

public sealed class KernelReduceTestsPackedFloat(KernelFixture fixture) : KernelReduceTests<float>(fixture, KernelStyle.Packed), IClassFixture<KernelFixture>;

public sealed class KernelReduceTestsPackedDouble(KernelFixture fixture) : KernelReduceTests<double>(fixture, KernelStyle.Packed), IClassFixture<KernelFixture>;

/// <summary>The GPU layout with GPU-sized groups (256 threads, simulated): group reductions that halve over many threads.</summary>
public sealed class KernelReduceWideGroupTests(KernelFixture fixture) : IClassFixture<KernelFixture>
{
    [Theory]
    [InlineData(16, 3079, 1)]
    [InlineData(1, 100_000, 1)]
    [InlineData(2, 300, 1000)]
    public void Wide_groups_reduce_like_the_reference(long outer, long n, long inner)
    {
        var accelerator = fixture.Wide;
        var kernels = new KernelLibrary(accelerator, KernelStyle.Packed);
        var x = KernelHost.Values<float>((int)(outer * n * inner), seed: 9, scale: 1, specials: false);
        using var bx = accelerator.Upload(x);
        using var by = accelerator.Allocate1D<float>(outer * inner);
        kernels.Reduce<float, SumReduction>(bx.Whole(), by.Whole(), outer, n, inner);
        var expected = KernelHost.Reduce(KernelHost.AsDouble(x), outer, n, inner, (acc, v) => acc + v, 0).Result;
        KernelHost.AssertClose(expected, by.Download(), 1e-5, 1e-6 * n);
    }
}

public sealed class KernelReduceTestsCudaFloat(CudaKernelFixture fixture) : KernelReduceTests<float>(fixture, KernelStyle.Packed), IClassFixture<CudaKernelFixture>;

public sealed class KernelReduceTestsCudaDouble(CudaKernelFixture fixture) : KernelReduceTests<double>(fixture, KernelStyle.Packed), IClassFixture<CudaKernelFixture>;
