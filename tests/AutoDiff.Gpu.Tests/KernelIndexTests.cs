using System.Numerics;
using AutoDiff.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// Gather by an integer index array and its adjoint scatter-add against a host reference: rows of a matrix
/// (x[idx] with repeated, negative and out-of-range indices), a middle axis, one index per row
/// (x[arange(N), t]), and scatter-adds whose repeated indices must accumulate, on one and on several threads.
/// </summary>
public abstract class KernelIndexTests<T>(KernelDeviceFixture fixture, KernelStyle style) : KernelSuite<T>(fixture, style)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    [Theory]
    [InlineData(1, 10, 6, false)]
    [InlineData(2, 10, 3, false)]
    [InlineData(7, 5, 1, true)]
    [InlineData(1000, 7, 1, true)]
    [InlineData(3, 4, 1000, false)]
    public void Gather_then_scatter_add_match_the_reference(int outer, int n, int inner, bool perSlice)
    {
        var random = new Random(outer + n + inner);
        int count = perSlice ? 1 : 7;
        var indices = new int[perSlice ? outer * count : count];
        for (int i = 0; i < indices.Length; i++)
            indices[i] = random.Next(-n, n);
        if (!perSlice)
        {
            // A repeat, and indices past either end (they read 0 and add nothing).
            indices[1] = indices[0];
            indices[2] = n + 2;
            indices[3] = -n - 1;
        }
        var x = KernelHost.Values<T>(outer * n * inner, seed: 12, specials: false);
        using var bx = Accelerator.Upload(x);
        using var bi = Accelerator.Upload(indices);
        using var by = Accelerator.Allocate1D<T>(outer * count * inner);
        Kernels.Gather(bx.Whole(), bi.Whole(), by.Whole(), outer, n, inner, perSlice);

        var gathered = new double[outer * count * inner];
        var scattered = KernelHost.AsDouble(x);
        for (int o = 0; o < outer; o++)
        {
            for (int j = 0; j < count; j++)
            {
                int index = indices[(perSlice ? o * count : 0) + j];
                index = index < 0 ? index + n : index;
                for (int r = 0; r < inner; r++)
                {
                    int target = (((o * count) + j) * inner) + r;
                    gathered[target] = index < 0 || index >= n ? 0 : double.CreateTruncating(x[(((o * n) + index) * inner) + r]);
                    if (index >= 0 && index < n)
                        scattered[(((o * n) + index) * inner) + r] += gathered[target];
                }
            }
        }
        var y = by.Download();
        KernelHost.AssertClose(gathered, y, 0);

        Kernels.ScatterAdd(by.Whole(), bi.Whole(), bx.Whole(), outer, n, inner, perSlice);
        KernelHost.AssertClose(scattered, bx.Download(), KernelHost.Epsilon<T>());
    }

    [Fact]
    public void Scatter_add_accumulates_many_repeats_across_threads()
    {
        // 40000 rows of 4 into 100 rows: a parallel launch whose threads add into the same rows.
        const int rows = 40_000, n = 100, inner = 4;
        var indices = new int[rows];
        for (int i = 0; i < rows; i++)
            indices[i] = i % n;
        var y = new T[rows * inner];
        Array.Fill(y, T.One);
        using var by = Accelerator.Upload(y);
        using var bi = Accelerator.Upload(indices);
        using var bx = Accelerator.Allocate1D<T>(n * inner);
        bx.MemSetToZero();
        Kernels.ScatterAdd(by.Whole(), bi.Whole(), bx.Whole(), 1, n, inner);
        Assert.All(bx.Download(), v => Assert.Equal(T.CreateTruncating(rows / n), v));
    }

    [Fact]
    public void Index_launches_reject_mismatched_views()
    {
        using var x = Accelerator.Allocate1D<T>(12);
        using var y = Accelerator.Allocate1D<T>(6);
        using var indices = Accelerator.Upload(Enumerable.Range(0, 3).ToArray());
        Assert.Throws<ArgumentException>(() => Kernels.Gather(x.Whole(), indices.Whole(), y.Whole(), 1, 4, 3));
        Assert.Throws<ArgumentException>(() => Kernels.Gather(x.Whole(), indices.Whole(), y.Whole(), 2, 6, 1, perSlice: true));
    }
}

public sealed class KernelIndexTestsChunkedFloat(KernelFixture fixture) : KernelIndexTests<float>(fixture, KernelStyle.Chunked), IClassFixture<KernelFixture>;

public sealed class KernelIndexTestsChunkedDouble(KernelFixture fixture) : KernelIndexTests<double>(fixture, KernelStyle.Chunked), IClassFixture<KernelFixture>;

public sealed class KernelIndexTestsPackedFloat(KernelFixture fixture) : KernelIndexTests<float>(fixture, KernelStyle.Packed), IClassFixture<KernelFixture>;

public sealed class KernelIndexTestsPackedDouble(KernelFixture fixture) : KernelIndexTests<double>(fixture, KernelStyle.Packed), IClassFixture<KernelFixture>;

public sealed class KernelIndexTestsCudaFloat(CudaKernelFixture fixture) : KernelIndexTests<float>(fixture, KernelStyle.Packed), IClassFixture<CudaKernelFixture>;

public sealed class KernelIndexTestsCudaDouble(CudaKernelFixture fixture) : KernelIndexTests<double>(fixture, KernelStyle.Packed), IClassFixture<CudaKernelFixture>;
