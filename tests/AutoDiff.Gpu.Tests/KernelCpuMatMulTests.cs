using System.Numerics;
using AutoDiff.Gpu.Kernels;
using ILGPU.Runtime;

namespace AutoDiff.Gpu.Tests;

/// <summary>The cases of <see cref="KernelCpuMatMulTests{T}"/>.</summary>
public static class CpuMatMulCases
{
    /// <summary>
    /// Shapes (m, n, k): square, tall, few columns, few rows (swapped), one row, one column, several panels of depth,
    /// sizes that no tile divides, and one large enough to be split among threads; then small products (at most
    /// <see cref="CpuRoutines.SmallProduct"/> multiply-adds, never packed) of the same classes.
    /// </summary>
    public static TheoryData<int, int, int> Shapes() => new()
    {
        { 48, 64, 32 },
        { 301, 20, 40 },
        { 257, 32, 50 },
        { 5, 300, 70 },
        { 1, 500, 40 },
        { 500, 1, 40 },
        { 30, 41, 600 },
        { 13, 37, 29 },
        { 203, 190, 170 },
        { 100, 10, 1 },
        { 100, 1, 10 },
        { 1, 10, 100 },
        { 10, 1, 100 },
        { 9, 2, 50 },
        { 7, 19, 5 },
        { 3, 17, 9 },
    };
}

/// <summary>
/// The CPU accelerator's packed and small products: every element of C is the host's chain of fused multiply-adds
/// (p = 0, 1, … from 0, then alpha·sum + beta·C), bit for bit, for every shape class, transpose and register-tile
/// width, however the work is split among threads; and the plan swaps operands only for products wider than tall
/// (or of one column).
/// </summary>
public abstract class KernelCpuMatMulTests<T>(CpuLaunchFixture fixture)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    [Theory]
    [MemberData(nameof(CpuMatMulCases.Shapes), MemberType = typeof(CpuMatMulCases))]
    public void Products_are_the_host_chains_at_every_vector_width(int m, int n, int k)
    {
        var a = KernelHost.Values<T>(m * k, seed: m + k, scale: 1, specials: false);
        var b = KernelHost.Values<T>(k * n, seed: n + k + 1, scale: 1, specials: false);
        var c = KernelHost.Values<T>(m * n, seed: 3, scale: 1, specials: false);
        var accelerator = fixture.Accelerator;
        using var ba = accelerator.Upload(a);
        using var bb = accelerator.Upload(b);
        using var bc = accelerator.Allocate1D<T>(m * n);
        foreach (int bits in new[] { 512, 256, 128 })
        {
            var kernels = new KernelLibrary(accelerator, KernelStyle.Chunked) { CpuVectorBits = bits };
            foreach (bool transposeA in new[] { false, true })
            {
                foreach (bool transposeB in new[] { false, true })
                {
                    string what = $"{m}x{n}x{k} transposeA={transposeA} transposeB={transposeB} {bits}-bit tiles";
                    // beta = 0 never reads C: NaN there does not show.
                    kernels.Fill(bc.Whole(), T.NaN);
                    kernels.MatMul(ba.Whole(), bb.Whole(), bc.Whole(), m, n, k, transposeA, transposeB, alpha: 0.5);
                    KernelHost.AssertSameBits(Chains(a, b, c, m, n, k, transposeA, transposeB, beta: 0), bc.Download(), what);
                    bc.Whole().CopyFromCPU(c);
                    kernels.MatMul(ba.Whole(), bb.Whole(), bc.Whole(), m, n, k, transposeA, transposeB, alpha: 0.5, beta: 2);
                    KernelHost.AssertSameBits(Chains(a, b, c, m, n, k, transposeA, transposeB, beta: 2), bc.Download(), what + " beta=2");
                }
            }
        }
    }

    [Fact]
    public void Only_products_wider_than_tall_swap_and_large_ones_split_for_every_thread()
    {
        int TN = 1, NT = 2;
        PackedProduct Plan(int m, int n, int k, int transposes, int threads) =>
            PackedProduct.Of<T>(new MatMulGeometry(m, n, k, transposes & TN, (transposes & NT) >> 1), threads, 512);

        // A convolution's filter gradient (32 × 150, summed over 25088) runs as its transpose: 150 rows, 32 columns,
        // which pad no column to the tile.
        var filters = Plan(32, 150, 25088, TN, 2);
        Assert.Equal((1, 150, 32), (filters.Swapped, filters.Rows, filters.Columns));
        // The columns' gradient (25088 × 144) keeps its shape: C is stored in rows.
        Assert.Equal(0, Plan(25088, 144, 32, 0, 2).Swapped);
        Assert.Equal(0, Plan(1024, 1024, 1024, NT, 2).Swapped);
        Assert.Equal(0, Plan(1, 500, 40, 0, 2).Swapped);
        // A matrix times a vector runs as a row times the matrix's transpose: one row of tiles, not one column.
        Assert.Equal(1, Plan(500, 1, 40, 0, 2).Swapped);
        // Two items per thread, tile-aligned; one item on one thread.
        var square = Plan(1024, 1024, 1024, 0, 2);
        Assert.Equal(4, square.Items);
        Assert.Equal(0, square.ItemRows % CpuRoutines.TileRows(512));
        Assert.Equal(0, square.ItemColumns % CpuRoutines.TileColumns<T>(512));
        Assert.Equal(1, Plan(1024, 1024, 1024, 0, 1).Items);
        // A product with one column of tiles splits its rows.
        var tall = Plan(25088, 32, 144, NT, 2);
        Assert.Equal((4L, 1), (tall.Items, tall.ItemsAcross));
    }

    /// <summary>The host's chains: alpha·(fused multiply-adds over p from 0) + beta·C, as the CPU product rounds.</summary>
    private static T[] Chains(T[] a, T[] b, T[] c, int m, int n, int k, bool transposeA, bool transposeB, double beta)
    {
        var expected = new T[m * n];
        T alphaT = T.CreateTruncating(0.5), betaT = T.CreateTruncating(beta);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                T sum = T.Zero;
                for (int p = 0; p < k; p++)
                    sum = T.FusedMultiplyAdd(a[transposeA ? (p * m) + i : (i * k) + p], b[transposeB ? (j * k) + p : (p * n) + j], sum);
                expected[(i * n) + j] = beta == 0 ? alphaT * sum : (alphaT * sum) + (betaT * c[(i * n) + j]);
            }
        }
        return expected;
    }
}

public sealed class KernelCpuMatMulTestsFloat(CpuLaunchFixture fixture) : KernelCpuMatMulTests<float>(fixture), IClassFixture<CpuLaunchFixture>;

public sealed class KernelCpuMatMulTestsDouble(CpuLaunchFixture fixture) : KernelCpuMatMulTests<double>(fixture), IClassFixture<CpuLaunchFixture>;
