using System.Numerics;
using System.Runtime.InteropServices;
using AutoDiff.Gpu.Kernels;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using AutoDiff.Gpu.Functions;

namespace AutoDiff.Gpu.Tests;

/// <summary>
/// One accelerator for the kernel tests, opened on its own context as the engine opens it (ILGPU.Algorithms
/// enabled; the kernel layer does not need the engine), with kernel libraries; or the reason it is absent, which
/// skips the tests that need it.
/// </summary>
public abstract class KernelDeviceFixture : IDisposable
{
    private readonly Context context;
    private readonly Accelerator? accelerator;
    private readonly KernelLibrary? chunked, packed, tiled;
    private readonly KernelLibrary[] otherTiled = [];

    protected KernelDeviceFixture(AcceleratorType type)
    {
        int threads = Math.Max(2, Environment.ProcessorCount);
        context = Context.Create(builder =>
        {
            if (type == AcceleratorType.Cuda)
                builder.Cuda();
            else
                builder.CPU(new CPUDevice(threads, 1, 1));
            builder.EnableAlgorithms().Optimize(OptimizationLevel.O2);
        });
        var device = context.Devices.FirstOrDefault(d => d.AcceleratorType == type);
        if (device is null)
        {
            SkipReason = DeviceFixture.AbsentReason(type == AcceleratorType.Cuda ? DeviceKind.Cuda : DeviceKind.Cpu);
            return;
        }
        accelerator = device.CreateAccelerator(context);
        MathTolerance = type == AcceleratorType.CPU ? 1 : 5;
        packed = new KernelLibrary(accelerator, KernelStyle.Packed);
        if (type == AcceleratorType.CPU)
            chunked = new KernelLibrary(accelerator, KernelStyle.Chunked);
        else
        {
            tiled = new KernelLibrary(accelerator) { AllowCuBlas = false };
            otherTiled =
            [
                new KernelLibrary(accelerator) { AllowCuBlas = false, TensorCores = false },
                new KernelLibrary(accelerator) { AllowCuBlas = false, LargeTensorCoreTiles = true },
                new KernelLibrary(accelerator) { AllowCuBlas = false, PrefetchTiles = false, TensorCores = false },
            ];
        }
    }

    public string? SkipReason { get; }

    /// <summary>
    /// How much looser than .NET's math the accelerator's transcendental functions are: 1 on the CPU; 5 on
    /// CUDA, for the functions ILGPU still lowers to the backend's math (pow); exp, log, tanh, sin and cos are
    /// ElementaryMath's, within 2 ulp everywhere.
    /// </summary>
    public double MathTolerance { get; }

    /// <summary>The accelerator, or a visible skip when it is absent.</summary>
    public Accelerator Accelerator => accelerator ?? Skip<Accelerator>();

    /// <summary>The library of <paramref name="style"/> (GPUs have the packed layout only).</summary>
    public KernelLibrary Library(KernelStyle style) => (style == KernelStyle.Chunked ? chunked : packed) ?? Skip<KernelLibrary>();

    /// <summary>On GPUs, a library that keeps the tiled matrix product (no cuBLAS); null on the CPU accelerator.</summary>
    public KernelLibrary? TiledMatMul => tiled;

    /// <summary>
    /// On GPUs, the tiled product's other kernels: float64 on the ordinary units where <see cref="TiledMatMul"/> uses the
    /// matrix units (register tiles, prefetching), the matrix units in 128×128 blocks, and the kernel that loads, then
    /// computes; empty on the CPU accelerator.
    /// </summary>
    public IReadOnlyList<KernelLibrary> OtherTiledMatMuls => otherTiled;

    public virtual void Dispose()
    {
        accelerator?.Dispose();
        context.Dispose();
        GC.SuppressFinalize(this);
    }

    private TValue Skip<TValue>()
    {
        Assert.Skip(SkipReason ?? "unavailable");
        return default!;
    }
}

/// <summary>
/// ILGPU's CPU accelerator, one OS thread per core in one group, as the engine opens it, with libraries in
/// both layouts. <see cref="Wide"/> is a second CPU accelerator whose groups have 256 threads (simulated with
/// OS threads), so the GPU-sized tiles and group reductions run too.
/// </summary>
public sealed class KernelFixture() : KernelDeviceFixture(AcceleratorType.CPU)
{
    private readonly Lazy<(Context Context, Accelerator Accelerator)> wide = new(() =>
    {
        var context = Context.Create(builder => builder.CPU(new CPUDevice(32, 8, 1)).EnableAlgorithms().Optimize(OptimizationLevel.O2));
        return (context, context.GetPreferredDevice(preferCPU: true).CreateAccelerator(context));
    });

    public KernelLibrary Chunked => Library(KernelStyle.Chunked);

    public KernelLibrary Packed => Library(KernelStyle.Packed);

    /// <summary>A CPU accelerator with 256-thread groups (warps of 32).</summary>
    public Accelerator Wide => wide.Value.Accelerator;

    public override void Dispose()
    {
        if (wide.IsValueCreated)
        {
            wide.Value.Accelerator.Dispose();
            wide.Value.Context.Dispose();
        }
        base.Dispose();
    }
}

/// <summary>CUDA device 0, when present: the packed layout, cuBLAS where it loads, and the tiled product.</summary>
public sealed class CudaKernelFixture() : KernelDeviceFixture(AcceleratorType.Cuda);

/// <summary>The base of a kernel-test suite bound to one element type and one layout by a one-line subclass.</summary>
public abstract class KernelSuite<T>(KernelDeviceFixture fixture, KernelStyle style)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    protected KernelDeviceFixture Fixture { get; } = fixture;

    protected KernelStyle Style { get; } = style;

    protected KernelLibrary Kernels => Fixture.Library(Style);

    protected Accelerator Accelerator => Fixture.Accelerator;
}

/// <summary>Host-side helpers of the kernel tests: buffers from arrays, inputs with IEEE specials, tolerant comparisons.</summary>
public static class KernelHost
{
    /// <summary>The sizes every elementwise kernel is tested at: a single element, less than a pack, unaligned tails, and a parallel chunked launch.</summary>
    public static readonly int[] Sizes = [1, 7, 1000, (6 * 512) + 7, 40_000];

    public static MemoryBuffer1D<T, Stride1D.Dense> Upload<T>(this Accelerator accelerator, T[] values)
        where T : unmanaged =>
        accelerator.Allocate1D(values);

    /// <summary>The buffer as one contiguous view.</summary>
    public static ArrayView<T> Whole<T>(this MemoryBuffer1D<T, Stride1D.Dense> buffer)
        where T : unmanaged =>
        buffer.View;

    public static T[] Download<T>(this MemoryBuffer1D<T, Stride1D.Dense> buffer)
        where T : unmanaged =>
        buffer.GetAsArray1D();

    /// <summary>n values: IEEE specials first (NaN, ±∞, ±0, ±1), then deterministic pseudo-random values in [−scale, scale].</summary>
    public static T[] Values<T>(int n, int seed, double scale = 4, bool specials = true)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double[] special = [double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0.0, -0.0, 1.0, -1.0];
        var random = new Random(seed);
        var values = new T[n];
        for (int i = 0; i < n; i++)
        {
            double v = specials && i < special.Length ? special[i] : ((random.NextDouble() * 2) - 1) * scale;
            values[i] = T.CreateTruncating(v);
        }
        // Spread the specials over the array so that packs and tails both see them.
        random.Shuffle(values);
        return values;
    }

    public static double[] AsDouble<T>(T[] values)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Array.ConvertAll(values, v => double.CreateTruncating(v));

    /// <summary>
    /// ⊕ of x viewed as (outer, n, inner) over its middle axis, in float64 on the host: the reference of the reduction
    /// kernels, with the largest sum of magnitudes over one result (what a sum's rounding scales with).
    /// </summary>
    public static (double[] Result, double Magnitude) Reduce(double[] x, long outer, long n, long inner, Func<double, double, double> combine, double identity)
    {
        var result = new double[outer * inner];
        double magnitude = 0;
        for (long o = 0; o < outer; o++)
        {
            for (long r = 0; r < inner; r++)
            {
                double acc = identity, abs = 0;
                for (long j = 0; j < n; j++)
                {
                    double v = x[((o * n) + j) * inner + r];
                    acc = combine(acc, v);
                    abs += Math.Abs(v);
                }
                result[(o * inner) + r] = acc;
                magnitude = Math.Max(magnitude, abs);
            }
        }
        return (result, magnitude);
    }

    /// <summary>Relative tolerance of one rounding in T, with room for a library's last-place differences.</summary>
    public static double Epsilon<T>()
        where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float) ? 4e-6 : 1e-13;

    /// <summary>Absolute tolerance next to <see cref="Epsilon{T}"/>: results near 0 of functions such as log near 1 or sin near 0.</summary>
    public static double Absolute<T>()
        where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float) ? 2e-6 : 1e-14;

    /// <summary>
    /// Asserts actual[i] ≈ expected[i] (rounded to T) within rtol·|expected| + atol: NaN only where NaN is
    /// expected, infinities exactly, and the sign of zero where exact zeros are expected.
    /// </summary>
    public static void AssertClose<T>(double[] expected, T[] actual, double rtol, double atol = 0, string? what = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = double.CreateTruncating(T.CreateTruncating(expected[i]));
            double a = double.CreateTruncating(actual[i]);
            bool ok = double.IsNaN(e) ? double.IsNaN(a)
                : double.IsInfinity(e) ? a == e
                : Math.Abs(a - e) <= (rtol * Math.Abs(e)) + atol + double.Epsilon;
            if (!ok)
                Assert.Fail($"{what ?? "element"} {i} of {expected.Length}: expected {expected[i]:R} (as {typeof(T).Name}: {e:R}), got {a:R}");
        }
    }

    /// <summary>Asserts |actual[i] − expected[i]| ≤ tolerance·max(1, |expected[i]|) for every i (relative, absolute below 1).</summary>
    public static void AssertNear(double[] expected, double[] actual, double tolerance, string what = "")
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])), $"{what}element {i}: expected {expected[i]:R}, got {actual[i]:R}");
    }

    /// <summary>Asserts that <paramref name="actual"/> holds the bits of <paramref name="expected"/>; the message names
    /// the first element that differs.</summary>
    public static void AssertSameBits<T>(T[] expected, T[] actual, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        Assert.Equal(expected.Length, actual.Length);
        if (MemoryMarshal.AsBytes(expected.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(actual.AsSpan())))
            return;
        int first = Enumerable.Range(0, expected.Length).First(i =>
            !MemoryMarshal.AsBytes(expected.AsSpan(i, 1)).SequenceEqual(MemoryMarshal.AsBytes(actual.AsSpan(i, 1))));
        Assert.Fail($"{what}: element {first} is {actual[first]}, expected {expected[first]}");
    }

    /// <summary>
    /// <paramref name="actual"/> has <paramref name="expected"/>'s bits on the CPU accelerator (<paramref name="cpu"/>);
    /// on GPUs a fused multiply-add may round once, not twice: a relative 1e-5.
    /// </summary>
    public static void AssertSameOnCpu<T>(T expected, T actual, bool cpu, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double e = double.CreateChecked(expected), a = double.CreateChecked(actual);
        bool same = e.Equals(a) || (!cpu && Math.Abs(a - e) <= 1e-5 * Math.Max(1, Math.Abs(e)));
        Assert.True(same, $"{what}: {a:R}, expected {e:R}");
    }

    /// <summary>Row-major strides (in elements) of a contiguous tensor of <paramref name="shape"/>.</summary>
    public static long[] Contiguous(int[] shape)
    {
        var strides = new long[shape.Length];
        long stride = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            strides[d] = stride;
            stride *= shape[d];
        }
        return strides;
    }

    /// <summary>Product of the sizes.</summary>
    public static int Count(int[] shape)
    {
        int count = 1;
        foreach (int size in shape)
            count *= size;
        return count;
    }

    /// <summary>The offset of each element of <paramref name="shape"/> (row-major order) under <paramref name="strides"/>.</summary>
    public static long[] Offsets(int[] shape, long[] strides)
    {
        var offsets = new long[Count(shape)];
        var coordinate = new int[shape.Length];
        for (int i = 0; i < offsets.Length; i++)
        {
            long offset = 0;
            for (int d = 0; d < shape.Length; d++)
                offset += coordinate[d] * strides[d];
            offsets[i] = offset;
            for (int d = shape.Length - 1; d >= 0; d--)
            {
                if (++coordinate[d] < shape[d])
                    break;
                coordinate[d] = 0;
            }
        }
        return offsets;
    }

    /// <summary>The shape NumPy broadcasts <paramref name="a"/> and <paramref name="b"/> to.</summary>
    public static int[] BroadcastShape(int[] a, int[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var shape = new int[rank];
        for (int d = 0; d < rank; d++)
        {
            int da = d - (rank - a.Length) >= 0 ? a[d - (rank - a.Length)] : 1;
            int db = d - (rank - b.Length) >= 0 ? b[d - (rank - b.Length)] : 1;
            shape[d] = Math.Max(da, db);
        }
        return shape;
    }

    /// <summary>NumPy's broadcast strides of an operand of <paramref name="operand"/> shape into <paramref name="shape"/> (0 where broadcast).</summary>
    public static long[] BroadcastStrides(int[] operand, int[] shape)
    {
        var own = Contiguous(operand);
        var strides = new long[shape.Length];
        for (int d = 0; d < shape.Length; d++)
        {
            int od = d - (shape.Length - operand.Length);
            strides[d] = od < 0 || operand[od] == 1 ? 0 : own[od];
        }
        return strides;
    }
}

// The operators of the tests that the engine has no twin of (the others are the engine's own, from
// AutoDiff.Gpu.Functions), written as an engine op writes them; each summary is its formula.

/// <summary>−x</summary>
public readonly struct TestNeg : IUnaryOperator
{
    public T Apply<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => -x;
}

/// <summary>x^c</summary>
public struct TestPow(double c) : IUnaryOperator
{
    private Parameter c = c; // not readonly: see Parameter

    public T Apply<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => T.Pow(x, c.As<T>());
}

/// <summary>c − x</summary>
public struct TestRsub(double c) : IUnaryOperator
{
    private Parameter c = c;

    public T Apply<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => c.As<T>() - x;
}

