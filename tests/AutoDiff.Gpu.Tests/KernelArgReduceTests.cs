using System.Numerics;
using AutoDiff.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// argmax and argmin along the middle axis of (outer, n, inner) against a host scan, with ties (the first wins) and
/// NaNs (the first NaN wins), and the hits of an argmax against labels, in each layout; rows of 256 and more take a
/// group each on GPUs.
/// </summary>
public abstract class KernelArgReduceTests<T>(KernelDeviceFixture fixture, KernelStyle style) : KernelSuite<T>(fixture, style)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    [Theory]
    [InlineData(1, 1, 1, true)]
    [InlineData(7, 5, 1, true)]
    [InlineData(3, 10, 6, true)]
    [InlineData(1, 1000, 1, true)]
    [InlineData(4000, 7, 1, true)]
    [InlineData(2, 3, 5000, true)]
    [InlineData(3, 5000, 1, true)]
    [InlineData(7, 256, 1, true)]
    [InlineData(70, 300, 1, true)]
    [InlineData(5, 3000, 1, false)]
    [InlineData(40, 257, 1, false)]
    [InlineData(3, 100, 7, false)]
    public void Positions_of_the_greatest_and_least_match_a_host_scan(int outer, int n, int inner, bool nans)
    {
        // Few distinct values, so ties are common; with nans, some NaNs (a long row then nearly always has one).
        var random = new Random(outer * 31 + n * 7 + inner);
        var x = new T[outer * n * inner];
        for (int i = 0; i < x.Length; i++)
            x[i] = nans && random.Next(50) == 0 ? T.NaN : T.CreateTruncating(random.Next(-3, 4));
        using var bx = Accelerator.Upload(x);
        using var bi = Accelerator.Allocate1D<int>(outer * inner);
        foreach (bool minimum in new[] { false, true })
        {
            Kernels.ArgReduce(bx.Whole(), bi.Whole(), outer, n, inner, minimum);
            var expected = new int[outer * inner];
            for (int o = 0; o < outer; o++)
            {
                for (int r = 0; r < inner; r++)
                {
                    int best = 0;
                    for (int j = 0; j < n; j++)
                    {
                        T v = x[((o * n) + j) * inner + r], b = x[((o * n) + best) * inner + r];
                        if (T.IsNaN(v))
                        {
                            best = j;
                            break;
                        }
                        if (minimum ? v < b : v > b)
                            best = j;
                    }
                    expected[(o * inner) + r] = best;
                }
            }
            Assert.Equal(expected, bi.Download());
        }

        // Hits against labels: the argmax itself, one off, and labels out of range.
        var argmax = Positions(bx, outer, n, inner);
        var labels = argmax.Select((p, i) => (i % 3) switch { 0 => p, 1 => (p + 1) % Math.Max(2, n), _ => n + i }).ToArray();
        using var bl = Accelerator.Upload(labels);
        using var bh = Accelerator.Allocate1D<T>(outer * inner);
        Kernels.ArgMaxHits(bx.Whole(), bl.Whole(), bh.Whole(), outer, n, inner);
        Assert.Equal(argmax.Select((p, i) => p == labels[i] ? T.One : T.Zero), bh.Download());
    }

    [Fact]
    public void Arg_launches_reject_an_empty_axis_and_mismatched_views()
    {
        using var x = Accelerator.Allocate1D<T>(12);
        using var indices = Accelerator.Allocate1D<int>(4);
        using var none = Accelerator.Allocate1D<T>(0);
        Assert.Contains("empty axis", Assert.Throws<ArgumentException>(() => Kernels.ArgReduce(none.Whole(), indices.Whole(), 4, 0, 1)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Kernels.ArgReduce(x.Whole(), indices.Whole(), 3, 4, 1));
        Assert.Throws<ArgumentException>(() => Kernels.ArgReduce(x.Whole(), indices.Whole(), 4, 4, 1));
        using var zero = Accelerator.Allocate1D<int>(0);
        Kernels.ArgReduce(none.Whole(), zero.Whole(), 0, 0, 5);
    }

    private int[] Positions(MemoryBuffer1D<T, Stride1D.Dense> x, int outer, int n, int inner)
    {
        using var indices = Accelerator.Allocate1D<int>(outer * inner);
        Kernels.ArgReduce(x.Whole(), indices.Whole(), outer, n, inner);
        return indices.Download();
    }
}

public sealed class KernelArgReduceTestsChunkedFloat(KernelFixture fixture) : KernelArgReduceTests<float>(fixture, KernelStyle.Chunked), IClassFixture<KernelFixture>;

public sealed class KernelArgReduceTestsChunkedDouble(KernelFixture fixture) : KernelArgReduceTests<double>(fixture, KernelStyle.Chunked), IClassFixture<KernelFixture>;

public sealed class KernelArgReduceTestsPackedFloat(KernelFixture fixture) : KernelArgReduceTests<float>(fixture, KernelStyle.Packed), IClassFixture<KernelFixture>;

public sealed class KernelArgReduceTestsPackedDouble(KernelFixture fixture) : KernelArgReduceTests<double>(fixture, KernelStyle.Packed), IClassFixture<KernelFixture>;

public sealed class KernelArgReduceTestsCudaFloat(CudaKernelFixture fixture) : KernelArgReduceTests<float>(fixture, KernelStyle.Packed), IClassFixture<CudaKernelFixture>;

public sealed class KernelArgReduceTestsCudaDouble(CudaKernelFixture fixture) : KernelArgReduceTests<double>(fixture, KernelStyle.Packed), IClassFixture<CudaKernelFixture>;
