using System.Numerics;
using AutoDiff.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// The matrix product against a float64 host reference: sizes that are not multiples of a tile (one element,
/// primes, K = 0), tall, wide, one row, one column, several panels of depth, every transpose combination, alpha and
/// beta (beta = 0 never reads C, even NaN).
/// </summary>
public abstract class KernelMatMulTests<T>(KernelDeviceFixture fixture, KernelStyle style) : KernelSuite<T>(fixture, style)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    [Fact]
    public void The_implementation_is_the_layouts_own_and_says_why_cuBLAS_is_not_used()
    {
        if (Fixture.TiledMatMul is { } tiled)
        {
            // CUDA: cuBLAS where it loads, else the tiled kernel and the reason.
            Assert.Equal(MatMulImplementation.Tiled, tiled.MatMulImplementation);
            Assert.Contains("AllowCuBlas", tiled.CuBlasUnavailableReason, StringComparison.Ordinal);
            Assert.True(Kernels.MatMulImplementation == MatMulImplementation.CuBlas || Kernels.CuBlasUnavailableReason is not null);
            // float64 on the matrix units from compute capability 8.0 on, unless turned off.
            bool matrixUnits = Accelerator is CudaAccelerator { Architecture: { } architecture } && architecture >= CudaArchitecture.SM_80;
            Assert.Equal(matrixUnits, tiled.Float64TensorCores);
            Assert.Equal([false, matrixUnits, false], Fixture.OtherTiledMatMuls.Select(other => other.Float64TensorCores));
            return;
        }
        var expected = Style == KernelStyle.Chunked ? MatMulImplementation.Blocked : MatMulImplementation.Tiled;
        Assert.Equal(expected, Kernels.MatMulImplementation);
        Assert.Null(Kernels.CuBlasUnavailableReason);
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(7, 5, 3)]
    [InlineData(33, 17, 9)]
    [InlineData(1, 300, 1)]
    [InlineData(64, 70, 300)]
    [InlineData(130, 257, 65)]
    [InlineData(3, 4, 0)]
    [InlineData(301, 20, 40)]
    [InlineData(5, 300, 70)]
    [InlineData(1, 500, 40)]
    [InlineData(500, 1, 40)]
    [InlineData(30, 41, 600)]
    public void Products_match_the_reference_for_every_transpose(int m, int n, int k)
    {
        foreach (bool transposeA in new[] { false, true })
        {
            foreach (bool transposeB in new[] { false, true })
            {
                KernelMatMul.Check<T>(Accelerator, Kernels, m, n, k, transposeA, transposeB);
                if (Fixture.TiledMatMul is { } tiled)
                    KernelMatMul.Check<T>(Accelerator, tiled, m, n, k, transposeA, transposeB);
                foreach (var other in Fixture.OtherTiledMatMuls)
                    KernelMatMul.Check<T>(Accelerator, other, m, n, k, transposeA, transposeB);
            }
        }
    }
}

/// <summary>Runs one product on a device and compares it with the host.</summary>
public static class KernelMatMul
{
    public static void Check<T>(Accelerator accelerator, KernelLibrary kernels, int m, int n, int k, bool transposeA, bool transposeB)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var a = KernelHost.Values<T>(m * k, seed: m + k, scale: 1, specials: false);
        var b = KernelHost.Values<T>(k * n, seed: n + k + 1, scale: 1, specials: false);
        var c = KernelHost.Values<T>(m * n, seed: 3, scale: 1, specials: false);
        using var ba = accelerator.Allocate1D<T>(Math.Max(1, a.Length));
        using var bb = accelerator.Allocate1D<T>(Math.Max(1, b.Length));
        if (a.Length > 0)
            ba.Whole().SubView(0, a.Length).CopyFromCPU(a);
        if (b.Length > 0)
            bb.Whole().SubView(0, b.Length).CopyFromCPU(b);
        var va = ba.Whole().SubView(0, a.Length);
        var vb = bb.Whole().SubView(0, b.Length);
        using var bc = accelerator.Allocate1D<T>(m * n);

        // beta = 0: C is never read, so NaN there does not show.
        kernels.Fill(bc.Whole(), T.NaN);
        kernels.MatMul(va, vb, bc.Whole(), m, n, k, transposeA, transposeB);
        var (product, magnitude) = Reference(a, b, m, n, k, transposeA, transposeB);
        double tolerance = (typeof(T) == typeof(float) ? 2e-6 : 1e-14) * (k + 1);
        string what = $"{m}x{n}x{k} transposeA={transposeA} transposeB={transposeB}";
        KernelHost.AssertClose(product, bc.Download(), tolerance, tolerance * magnitude, what);

        bc.Whole().CopyFromCPU(c);
        kernels.MatMul(va, vb, bc.Whole(), m, n, k, transposeA, transposeB, alpha: 0.5, beta: 2);
        var combined = product.Select((p, i) => (0.5 * p) + (2 * double.CreateTruncating(c[i]))).ToArray();
        KernelHost.AssertClose(combined, bc.Download(), tolerance, tolerance * (magnitude + 2), what + " alpha=0.5 beta=2");
    }

    private static (double[] Product, double Magnitude) Reference<T>(T[] a, T[] b, int m, int n, int k, bool transposeA, bool transposeB)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var c = new double[m * n];
        double magnitude = 0;
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0, abs = 0;
                for (int p = 0; p < k; p++)
                {
                    double term = double.CreateTruncating(a[transposeA ? (p * m) + i : (i * k) + p]) * double.CreateTruncating(b[transposeB ? (j * k) + p : (p * n) + j]);
                    sum += term;
                    abs += Math.Abs(term);
                }
                c[(i * n) + j] = sum;
                magnitude = Math.Max(magnitude, abs);
            }
        }
        return (c, magnitude);
    }
}

public sealed class KernelMatMulTestsChunkedFloat(KernelFixture fixture) : KernelMatMulTests<float>(fixture, KernelStyle.Chunked), IClassFixture<KernelFixture>;

public sealed class KernelMatMulTestsChunkedDouble(KernelFixture fixture) : KernelMatMulTests<double>(fixture, KernelStyle.Chunked), IClassFixture<KernelFixture>;

public sealed class KernelMatMulTestsPackedFloat(KernelFixture fixture) : KernelMatMulTests<float>(fixture, KernelStyle.Packed), IClassFixture<KernelFixture>;

public sealed class KernelMatMulTestsPackedDouble(KernelFixture fixture) : KernelMatMulTests<double>(fixture, KernelStyle.Packed), IClassFixture<KernelFixture>;

/// <summary>
/// The GPU tiles themselves with their GPU group sizes, simulated on a wide CPU accelerator: for float32 128×128
/// blocks, for float64 64×64 blocks, each both ways: fetching the next step while computing, and loading, then
/// computing; and float64 on the matrix units. K = 8 is one step, K = 9 and 20 end on a partial step, K = 100 moves
/// through 13 steps of 8 (7 of 16 in the matrix units' 64×64 blocks).
/// </summary>
public sealed class KernelMatMulWideGroupTests(KernelFixture fixture) : IClassFixture<KernelFixture>
{
    /// <summary>
    /// Shapes for the GPU tiles (m, n, k, transposeA, transposeB): partial blocks, partial and several steps through K
    /// (8 and 16 deep), every transpose, and one block exactly.
    /// </summary>
    public static TheoryData<int, int, int, bool, bool> Shapes() => new()
    {
        { 130, 257, 20, false, false },
        { 130, 129, 9, true, true },
        { 5, 3, 17, false, true },
        { 128, 128, 8, true, false },
        { 64, 64, 16, true, false },
        { 1, 1, 1, false, false },
        { 70, 130, 100, false, true },
        { 70, 130, 100, true, false },
        { 65, 33, 4, true, true },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void GPU_tiles_match_the_reference(int m, int n, int k, bool transposeA, bool transposeB)
    {
        foreach (bool prefetch in new[] { true, false })
        {
            var kernels = new KernelLibrary(fixture.Wide, KernelStyle.Packed) { PrefetchTiles = prefetch };
            KernelMatMul.Check<float>(fixture.Wide, kernels, m, n, k, transposeA, transposeB);
            KernelMatMul.Check<double>(fixture.Wide, kernels, m, n, k, transposeA, transposeB);
        }
    }

    /// <summary>
    /// The float64 matrix-unit kernel's layout — fragments, padded shared tiles in two stages, 32×32 warp tiles of 64×64
    /// blocks 16 deep a step, and 32×64 ones of 128×128 blocks 8 deep — with each 8×8×4 operation computed by every
    /// lane from the fragments the other lanes would give (the PTX instruction runs on CUDA only).
    /// </summary>
    [Theory]
    [MemberData(nameof(Shapes))]
    public void Tensor_core_tiles_match_the_reference(int m, int n, int k, bool transposeA, bool transposeB)
    {
        foreach (bool large in new[] { false, true })
        {
            var kernels = new KernelLibrary(fixture.Wide, KernelStyle.Packed) { EmulateTensorCores = true, LargeTensorCoreTiles = large };
            Assert.True(kernels.Float64TensorCores);
            KernelMatMul.Check<double>(fixture.Wide, kernels, m, n, k, transposeA, transposeB);
        }
    }

    [Fact]
    public void Tensor_cores_are_used_only_where_there_are_any()
    {
        Assert.True(MatMulKernels.TensorCoreTileFits<TensorCoreTile>());
        Assert.True(MatMulKernels.TensorCoreTileFits<LargeTensorCoreTile>());
        Assert.False(new KernelLibrary(fixture.Wide, KernelStyle.Packed).Float64TensorCores);
        Assert.False(new KernelLibrary(fixture.Wide, KernelStyle.Packed) { EmulateTensorCores = true, TensorCores = false }.Float64TensorCores);
        // The engine's CPU accelerator: no matrix units, whatever its group size.
        Assert.False(fixture.Packed.Float64TensorCores);
    }
}

public sealed class KernelMatMulTestsCudaFloat(CudaKernelFixture fixture) : KernelMatMulTests<float>(fixture, KernelStyle.Packed), IClassFixture<CudaKernelFixture>;

public sealed class KernelMatMulTestsCudaDouble(CudaKernelFixture fixture) : KernelMatMulTests<double>(fixture, KernelStyle.Packed), IClassFixture<CudaKernelFixture>;
