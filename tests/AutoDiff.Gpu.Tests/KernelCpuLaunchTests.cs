using System.Numerics;
using System.Runtime.InteropServices;
using AutoDiff.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;
using AutoDiff.Gpu.Functions;

namespace AutoDiff.Gpu.Tests;

/// <summary>The CPU accelerator with two chunked libraries: the direct launch (the default) and ILGPU's launch of the same bodies.</summary>
public sealed class CpuLaunchFixture : KernelDeviceFixture
{
    public CpuLaunchFixture()
        : base(AcceleratorType.CPU)
    {
        Direct = new KernelLibrary(Accelerator, KernelStyle.Chunked);
        Ilgpu = new KernelLibrary(Accelerator, KernelStyle.Chunked) { CpuLaunch = CpuLaunchMode.Ilgpu };
    }

    /// <summary>Launches on the calling thread, large ones shared with thread-pool workers.</summary>
    public KernelLibrary Direct { get; }

    /// <summary>Launches through ILGPU's CPU accelerator.</summary>
    public KernelLibrary Ilgpu { get; }
}

/// <summary>The cases of <see cref="KernelCpuLaunchTests{T}"/>.</summary>
public static class CpuLaunchCases
{
    /// <summary>Sizes on both sides of <see cref="LaunchPlan.CpuSerialThreshold"/>, with tails that do not divide evenly among threads or chunks.</summary>
    public static TheoryData<int> Sizes() => [1, 7, 1000, (6 * 512) + 7, (int)LaunchPlan.CpuSerialThreshold, (int)LaunchPlan.CpuSerialThreshold + 1, 40_007, 100_003];
}

/// <summary>
/// The chunked layout launched directly (on the calling thread, large launches shared with thread-pool workers)
/// gives bit for bit what ILGPU's launch of the same bodies gives, in every family: contiguous and strided
/// elementwise launches with tails, transposes in tiles, fill, reductions in one and two passes, gather and
/// scatter-add, and the blocked product; sizes on both sides of the serial threshold. Conversions between
/// float32 and float64 round like a cast. Direct launches from several threads at once stay correct, and
/// operands whose buffers are disposed are refused.
/// </summary>
public abstract class KernelCpuLaunchTests<T>(CpuLaunchFixture fixture)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private Accelerator Accelerator => fixture.Accelerator;

    [Theory]
    [MemberData(nameof(CpuLaunchCases.Sizes), MemberType = typeof(CpuLaunchCases))]
    public void Contiguous_maps_zips_and_fills_match(int n)
    {
        var x = KernelHost.Values<T>(n, seed: n);
        var b = KernelHost.Values<T>(n, seed: n + 1);
        Same($"exp of {n}", kernels => Run(kernels, x, n, (k, vx, vy) => k.Map(vx, vy, new ExpOperator())));
        Same($"div of {n}", kernels =>
        {
            using var bb = Accelerator.Upload(b);
            return Run(kernels, x, n, (k, vx, vy) => k.Zip(vx, bb.Whole(), vy, new DivOperator()));
        });
        Same($"fill of {n}", kernels => Run(kernels, x, n, (k, _, vy) => k.Fill(vy, T.CreateTruncating(-1.5))));
        // An unaligned view, in place.
        if (n > 1)
            Same($"in-place square of {n} - 1 from element 1", kernels => Run(kernels, x, n, (k, vx, _) => k.Map(vx.SubView(1), vx.SubView(1), new TestPow(2)), readInput: true));
    }

    [Theory]
    [InlineData(new[] { 7, 13 }, new[] { 13 })]
    [InlineData(new[] { 250, 200 }, new[] { 200 })]
    [InlineData(new[] { 250, 200 }, new[] { 250, 1 })]
    [InlineData(new[] { 40_007 }, new int[0])]
    [InlineData(new[] { 2, 3, 1, 5, 1, 4 }, new[] { 3, 2, 5, 6, 1 })]
    [InlineData(new[] { 30, 1, 40, 50 }, new[] { 7, 1, 50 })]
    public void Broadcasts_match(int[] shapeA, int[] shapeB)
    {
        int rank = Math.Max(shapeA.Length, shapeB.Length);
        int[] shape = new int[rank];
        for (int d = 0; d < rank; d++)
        {
            int da = d - (rank - shapeA.Length) >= 0 ? shapeA[d - (rank - shapeA.Length)] : 1;
            int db = d - (rank - shapeB.Length) >= 0 ? shapeB[d - (rank - shapeB.Length)] : 1;
            shape[d] = Math.Max(da, db);
        }
        var a = KernelHost.Values<T>(KernelHost.Count(shapeA), seed: 3);
        var b = KernelHost.Values<T>(KernelHost.Count(shapeB), seed: 4);
        long[] sa = KernelHost.BroadcastStrides(shapeA, shape), sb = KernelHost.BroadcastStrides(shapeB, shape);
        Same($"({string.Join(", ", shapeA)}) - ({string.Join(", ", shapeB)})", kernels =>
        {
            using var ba = Accelerator.Upload(a);
            using var bb = Accelerator.Upload(b);
            using var by = Accelerator.Allocate1D<T>(KernelHost.Count(shape));
            kernels.Zip(shape, new Strided<T>(ba.Whole(), sa), new Strided<T>(bb.Whole(), sb), by.Whole(), new SubOperator());
            return by.Download();
        });
    }

    [Theory]
    [InlineData(new[] { 7, 13 }, new[] { 1, 0 })]
    [InlineData(new[] { 300, 150 }, new[] { 1, 0 })]
    [InlineData(new[] { 3, 40, 50 }, new[] { 0, 2, 1 })]
    [InlineData(new[] { 33, 20, 70 }, new[] { 1, 2, 0 })]
    [InlineData(new[] { 2, 3, 4, 5 }, new[] { 3, 1, 2, 0 })]
    public void Transposes_match(int[] shapeX, int[] axes)
    {
        int[] shape = Array.ConvertAll(axes, axis => shapeX[axis]);
        long[] own = KernelHost.Contiguous(shapeX);
        long[] strides = Array.ConvertAll(axes, axis => own[axis]);
        var x = KernelHost.Values<T>(KernelHost.Count(shapeX), seed: 5);
        Same($"transpose of ({string.Join(", ", shapeX)})", kernels => Run(kernels, x, x.Length, (k, vx, vy) => k.Map(shape, new Strided<T>(vx, strides), vy, new TestNeg())));
    }

    [Theory]
    [InlineData(10, 12)]
    [InlineData(400, 300)]
    public void Strided_slices_scatter_and_accumulate_match(int rows, int columns)
    {
        // x[1::2, ::3] of a rows × columns matrix: gathered, scattered into zeros, then added in place.
        int[] shape = [rows / 2, (columns + 2) / 3];
        long[] strides = [2L * columns, 3];
        var x = KernelHost.Values<T>(rows * columns, seed: 6);
        Same($"slice of {rows}x{columns}", kernels =>
        {
            using var bx = Accelerator.Upload(x);
            using var by = Accelerator.Allocate1D<T>(KernelHost.Count(shape));
            using var gx = Accelerator.Allocate1D<T>(rows * columns);
            var slice = new Strided<T>(bx.Whole().SubView(columns), strides);
            var target = new Strided<T>(gx.Whole().SubView(columns), strides);
            kernels.Copy(shape, slice, by.Whole());
            kernels.Fill(gx.Whole(), T.Zero);
            kernels.Copy(shape, by.Whole(), target);
            kernels.Zip(shape, target, by.Whole(), target, new PlusOperator());
            return [.. by.Download(), .. gx.Download()];
        });
    }

    [Theory]
    [InlineData(1, 1, 1, 0)]
    [InlineData(1, 3079, 1, 0)]
    [InlineData(1, 3079, 1, 64)]
    [InlineData(1, 100_003, 1, 0)]
    [InlineData(3, 20_000, 1, 0)]
    [InlineData(7, 1000, 1, 64)]
    [InlineData(1000, 70, 1, 0)]
    [InlineData(1, 1000, 7, 64)]
    [InlineData(2, 513, 80, 0)]
    [InlineData(1, 300, 1500, 0)]
    [InlineData(1, 5000, 12, 64)]
    [InlineData(4, 0, 3, 0)]
    public void Reductions_in_one_and_two_passes_match(long outer, long n, long inner, int parallelism)
    {
        var x = KernelHost.Values<T>((int)(outer * n * inner), seed: (int)(outer + n + inner), scale: 1, specials: false);
        Same($"sum, mean and max of ({outer}, {n}, {inner}), parallelism {parallelism}", kernels =>
        {
            kernels.ReduceParallelism = parallelism;
            try
            {
                using var bx = Accelerator.Allocate1D<T>(Math.Max(1, x.Length));
                if (x.Length > 0)
                    bx.Whole().SubView(0, x.Length).CopyFromCPU(x);
                var input = bx.Whole().SubView(0, x.Length);
                using var by = Accelerator.Allocate1D<T>(outer * inner);
                kernels.Reduce<T, SumReduction>(input, by.Whole(), outer, n, inner);
                var sum = by.Download();
                kernels.Reduce<T, SumReduction, ScaleOperator>(input, by.Whole(), outer, n, inner, new ScaleOperator(1.0 / Math.Max(1, n)));
                var mean = by.Download();
                kernels.Reduce<T, MaxReduction>(input, by.Whole(), outer, n, inner);
                return [.. sum, .. mean, .. by.Download()];
            }
            finally
            {
                kernels.ReduceParallelism = 0;
            }
        });
    }

    [Theory]
    [InlineData(1, 10, 6, false, 7)]
    [InlineData(3, 4, 1000, false, 7)]
    [InlineData(1000, 7, 1, true, 1)]
    [InlineData(1, 100, 4, false, 40_000)]
    [InlineData(1, 50, 1000, false, 60)]
    public void Gathers_and_scatter_adds_match(int outer, int n, int inner, bool perSlice, int count)
    {
        var random = new Random(outer + n + inner + count);
        var indices = new int[perSlice ? outer * count : count];
        for (int i = 0; i < indices.Length; i++)
            indices[i] = random.Next(-n - 2, n + 2); // some out of range: they read 0 and add nothing
        // Small integers: sums are exact whatever the order of the additions, so threads adding into shared rows compare bit for bit.
        var x = Array.ConvertAll(KernelHost.Values<T>(outer * n * inner, seed: 12, specials: false), v => T.Round(v * T.CreateTruncating(4)));
        Same($"gather and scatter-add ({outer}, {n}, {inner}) by {indices.Length} indices", kernels =>
        {
            using var bx = Accelerator.Upload(x);
            using var bi = Accelerator.Upload(indices);
            using var by = Accelerator.Allocate1D<T>(outer * (indices.Length / (perSlice ? outer : 1)) * inner);
            kernels.Gather(bx.Whole(), bi.Whole(), by.Whole(), outer, n, inner, perSlice);
            kernels.ScatterAdd(by.Whole(), bi.Whole(), bx.Whole(), outer, n, inner, perSlice);
            return [.. by.Download(), .. bx.Download()];
        });
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(33, 17, 9)]
    [InlineData(130, 257, 65)]
    [InlineData(150, 600, 40)]
    [InlineData(200, 300, 0)]
    public void Blocked_products_match(int m, int n, int k)
    {
        var a = KernelHost.Values<T>(m * k, seed: m + k, scale: 1, specials: false);
        var b = KernelHost.Values<T>(k * n, seed: n + k + 1, scale: 1, specials: false);
        var c = KernelHost.Values<T>(m * n, seed: 3, scale: 1, specials: false);
        foreach (bool transposeA in new[] { false, true })
        {
            foreach (bool transposeB in new[] { false, true })
            {
                Same($"{m}x{n}x{k} transposeA={transposeA} transposeB={transposeB}", kernels =>
                {
                    using var ba = Accelerator.Allocate1D<T>(Math.Max(1, a.Length));
                    using var bb = Accelerator.Allocate1D<T>(Math.Max(1, b.Length));
                    if (k > 0)
                    {
                        ba.Whole().CopyFromCPU(a);
                        bb.Whole().CopyFromCPU(b);
                    }
                    using var bc = Accelerator.Upload(c);
                    kernels.MatMul(ba.Whole().SubView(0, a.Length), bb.Whole().SubView(0, b.Length), bc.Whole(), m, n, k, transposeA, transposeB, alpha: 0.5, beta: 2);
                    return bc.Download();
                });
            }
        }
    }

    [Theory]
    [InlineData(7, 5, 3)]
    [InlineData(30, 3, 10)]
    [InlineData(5, 7, 4)]
    [InlineData(3, 2, 30)]
    [InlineData(20, 20, 20)]
    [InlineData(21, 20, 20)]
    [InlineData(1, 10, 100)]
    [InlineData(100, 10, 1)]
    [InlineData(70, 300, 64)]
    public void Small_and_blocked_products_are_the_same_chains_of_fused_multiply_adds(int m, int n, int k)
    {
        // Products up to 8192 multiply-adds skip the packing; both paths add p = 0, 1, … with one rounding
        // each from 0, so either matches the host's chain bit for bit.
        var a = KernelHost.Values<T>(m * k, seed: m + k, scale: 1, specials: false);
        var b = KernelHost.Values<T>(k * n, seed: n + k + 1, scale: 1, specials: false);
        var c = KernelHost.Values<T>(m * n, seed: 3, scale: 1, specials: false);
        foreach (bool transposeA in new[] { false, true })
        {
            foreach (bool transposeB in new[] { false, true })
            {
                using var ba = Accelerator.Upload(a);
                using var bb = Accelerator.Upload(b);
                using var bc = Accelerator.Upload(c);
                fixture.Direct.MatMul(ba.Whole(), bb.Whole(), bc.Whole(), m, n, k, transposeA, transposeB, alpha: 0.5, beta: 2);
                var expected = new T[m * n];
                T alpha = T.CreateTruncating(0.5), beta = T.CreateTruncating(2);
                for (int i = 0; i < m; i++)
                {
                    for (int j = 0; j < n; j++)
                    {
                        T sum = T.Zero;
                        for (int p = 0; p < k; p++)
                            sum = T.FusedMultiplyAdd(a[transposeA ? (p * m) + i : (i * k) + p], b[transposeB ? (j * k) + p : (p * n) + j], sum);
                        expected[(i * n) + j] = (alpha * sum) + (beta * c[(i * n) + j]);
                    }
                }
                var actual = bc.Download();
                Assert.True(Bits(expected).SequenceEqual(Bits(actual)), $"{m}x{n}x{k} transposeA={transposeA} transposeB={transposeB}: element {FirstDifference(expected, actual)} differs");
            }
        }
    }

    [Theory]
    [MemberData(nameof(CpuLaunchCases.Sizes), MemberType = typeof(CpuLaunchCases))]
    public void Conversions_round_like_a_cast(int n)
    {
        var wide = Array.ConvertAll(KernelHost.Values<double>(n, seed: n), v => v * Math.PI);
        using var bd = Accelerator.Upload(wide);
        using var bf = Accelerator.Allocate1D<float>(n);
        using var back = Accelerator.Allocate1D<double>(n);
        Conversion.Narrow(Accelerator, bd.Whole(), bf.Whole());
        Conversion.Widen(Accelerator, bf.Whole(), back.Whole());
        var narrow = Array.ConvertAll(wide, v => (float)v);
        Assert.Equal(narrow, bf.Download());
        Assert.Equal(Array.ConvertAll(narrow, v => (double)v), back.Download());
    }

    [Fact]
    public void Direct_launches_from_several_threads_at_once_stay_correct()
    {
        // Each thread runs every family, two-pass reductions (the shared scratch buffer) and launches large
        // enough to be shared with thread-pool workers among them, on the same library at the same time.
        const int threads = 6, rounds = 12, n = 50_003;
        var x = KernelHost.Values<T>(n, seed: 21, scale: 1, specials: false);
        T[] Round(KernelLibrary kernels)
        {
            using var bx = Accelerator.Upload(x);
            using var by = Accelerator.Allocate1D<T>(n);
            using var sums = Accelerator.Allocate1D<T>(2 * 1000);
            using var product = Accelerator.Allocate1D<T>(100 * 100);
            kernels.Map(bx.Whole(), by.Whole(), new SinOperator());
            kernels.Zip([1000, 50], new Strided<T>(by.Whole(), [50, 1]), new Strided<T>(bx.Whole(), [0, 1]), by.Whole().SubView(0, 50_000), new MulOperator());
            kernels.Reduce<T, SumReduction>(by.Whole(), sums.Whole().SubView(0, 1), 1, n, 1);
            kernels.Reduce<T, SumReduction>(by.Whole().SubView(0, 50_000), sums.Whole().SubView(1, 50), 1, 1000, 50);
            kernels.Copy([50, 1000], new Strided<T>(by.Whole().SubView(0, 50_000), [1, 50]), bx.Whole().SubView(0, 50_000));
            kernels.MatMul(bx.Whole().SubView(0, 10_000), by.Whole().SubView(0, 10_000), product.Whole(), 100, 100, 100);
            return [.. by.Download(), .. sums.Download().AsSpan(0, 51), .. bx.Download(), .. product.Download()];
        }

        var direct = fixture.Direct;
        // The sums take two passes through the shared scratch buffer (the same plan on both paths).
        direct.ReduceParallelism = fixture.Ilgpu.ReduceParallelism = 64;
        try
        {
            var expected = Round(fixture.Ilgpu);
            var failures = new List<string>();
            var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
            {
                for (int r = 0; r < rounds; r++)
                {
                    var actual = Round(direct);
                    if (!Bits(expected).SequenceEqual(Bits(actual)))
                    {
                        lock (failures)
                            failures.Add($"thread {t}, round {r}: element {FirstDifference(expected, actual)} differs");
                    }
                }
            })).ToList();
            workers.ForEach(w => w.Start());
            workers.ForEach(w => w.Join());
            Assert.Empty(failures);
        }
        finally
        {
            direct.ReduceParallelism = fixture.Ilgpu.ReduceParallelism = 0;
        }
    }

    [Fact]
    public void Operands_whose_buffers_are_disposed_are_refused_on_both_paths()
    {
        foreach (var kernels in new[] { fixture.Direct, fixture.Ilgpu })
        {
            using var y = Accelerator.Allocate1D<T>(100);
            var x = Accelerator.Allocate1D<T>(100);
            var stale = x.Whole();
            x.Dispose();
            Assert.Throws<ObjectDisposedException>(() => kernels.Map(stale, y.Whole(), new TestNeg()));
            Assert.Throws<ObjectDisposedException>(() => kernels.Reduce<T, SumReduction>(stale, y.Whole().SubView(0, 1), 1, 100, 1));
            Assert.Throws<ObjectDisposedException>(() => kernels.Fill(stale, T.One));
            kernels.Fill(y.Whole(), T.One); // the library still works
            Assert.All(y.Download(), v => Assert.Equal(T.One, v));
        }
    }

    /// <summary>Runs <paramref name="launch"/> on the direct and the ILGPU library and asserts the same bits.</summary>
    private void Same(string what, Func<KernelLibrary, T[]> launch)
    {
        var direct = launch(fixture.Direct);
        var ilgpu = launch(fixture.Ilgpu);
        Assert.Equal(ilgpu.Length, direct.Length);
        if (!Bits(ilgpu).SequenceEqual(Bits(direct)))
        {
            int i = FirstDifference(ilgpu, direct);
            Assert.Fail($"{what}: element {i} of {ilgpu.Length} is {direct[i]} launched directly, {ilgpu[i]} through ILGPU");
        }
    }

    /// <summary>x uploaded, <paramref name="launch"/> run into a zeroed y of <paramref name="n"/> elements; y (and x when <paramref name="readInput"/>) downloaded.</summary>
    private T[] Run(KernelLibrary kernels, T[] x, int n, Action<KernelLibrary, ArrayView<T>, ArrayView<T>> launch, bool readInput = false)
    {
        using var bx = Accelerator.Upload(x);
        using var by = Accelerator.Allocate1D<T>(n);
        by.MemSetToZero();
        launch(kernels, bx.Whole(), by.Whole());
        return readInput ? bx.Download() : by.Download();
    }

    private static ReadOnlySpan<byte> Bits(T[] values) => MemoryMarshal.AsBytes(values.AsSpan());

    private static int FirstDifference(T[] a, T[] b)
    {
        var ba = Bits(a);
        var bb = Bits(b);
        int size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        for (int i = 0; i < ba.Length; i++)
        {
            if (ba[i] != bb[i])
                return i / size;
        }
        return -1;
    }
}

public sealed class KernelCpuLaunchTestsFloat(CpuLaunchFixture fixture) : KernelCpuLaunchTests<float>(fixture), IClassFixture<CpuLaunchFixture>;

public sealed class KernelCpuLaunchTestsDouble(CpuLaunchFixture fixture) : KernelCpuLaunchTests<double>(fixture), IClassFixture<CpuLaunchFixture>;
