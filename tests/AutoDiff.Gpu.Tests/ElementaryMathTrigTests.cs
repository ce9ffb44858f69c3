using System.Numerics;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Tests;

/// <summary>The arguments of the sine and cosine checks, and distances in ulps.</summary>
public static class TrigCases
{
    /// <summary>Dense float32 arguments: a grid over [−1e5, 1e5], the floats nearest multiples of π/2 and their neighbours, small and huge magnitudes.</summary>
    public static float[] Singles(int grid, int multiples, int wide, int seed)
    {
        var random = new Random(seed);
        var values = new List<float>(grid + (5 * multiples) + (2 * wide));
        for (int i = 0; i < grid; i++)
            values.Add((float)(-1e5 + (2e5 * i / (grid - 1))));
        for (int i = 0; i < multiples; i++)
        {
            // The hardest reductions: k·π/2 rounded, where r is smallest; k dense at first, then spread to 1e5.
            long k = i < multiples / 2 ? i + 1 : random.NextInt64(1, 63_662);
            float near = (float)(k * Math.PI / 2);
            for (int step = -2; step <= 2; step++)
                values.Add(Offset(near, step));
        }
        for (int i = 0; i < wide; i++)
        {
            values.Add((float)Math.Pow(10, -30 + (35 * random.NextDouble())) * (random.Next(2) == 0 ? 1 : -1));
            values.Add((float)Math.Pow(10, 5 + (33.5 * random.NextDouble())));
        }
        return [.. values];
    }

    /// <summary>Dense float64 arguments: a grid over [−1e9, 1e9], doubles nearest multiples of π/2 and neighbours, small and huge magnitudes.</summary>
    public static double[] Doubles(int grid, int multiples, int wide, int seed)
    {
        var random = new Random(seed);
        var values = new List<double>(grid + (5 * multiples) + (2 * wide) + 4);
        for (int i = 0; i < grid; i++)
            values.Add(-1e9 + (2e9 * i / (grid - 1)) + (random.NextDouble() * 2e9 / grid));
        for (int i = 0; i < multiples; i++)
        {
            // k·π/2 with π/2 in double-double, rounded: the hardest reductions up to 1e9.
            long k = i < multiples / 2 ? i + 1 : random.NextInt64(1, 636_619_772);
            double near = Math.FusedMultiplyAdd(k, 1.5707963267948966, k * 6.123233995736766e-17);
            for (int step = -2; step <= 2; step++)
                values.Add(Offset(near, step));
        }
        for (int i = 0; i < wide; i++)
        {
            values.Add(Math.Pow(10, -300 + (309 * random.NextDouble())) * (random.Next(2) == 0 ? 1 : -1));
            values.Add(Math.Pow(10, 9 + (299 * random.NextDouble())));
        }
        values.AddRange([double.MaxValue, -1e22]);
        return [.. values];
    }

    /// <summary>The special values: ±0, ±∞, NaN and the smallest subnormals (sin ε = ε, cos ε = 1).</summary>
    public static readonly double[] Special = [0.0, -0.0, double.PositiveInfinity, double.NegativeInfinity, double.NaN, double.Epsilon, -double.Epsilon];

    /// <summary>The float <paramref name="steps"/> representable values away.</summary>
    public static float Offset(float x, int steps) => BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(x) + steps);

    /// <summary>The double <paramref name="steps"/> representable values away.</summary>
    public static double Offset(double x, int steps) => BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(x) + steps);

    /// <summary>How many representable values lie between a and b (0 when equal, both NaN, or ±0).</summary>
    public static long Ulps(float a, float b) =>
        float.IsNaN(a) || float.IsNaN(b) ? (float.IsNaN(a) && float.IsNaN(b) ? 0 : long.MaxValue) : Math.Abs(Ordered(a) - Ordered(b));

    /// <inheritdoc cref="Ulps(float, float)"/>
    public static long Ulps(double a, double b) =>
        double.IsNaN(a) || double.IsNaN(b) ? (double.IsNaN(a) && double.IsNaN(b) ? 0 : long.MaxValue) : (long)Int128.Min(Int128.Abs((Int128)Ordered(a) - Ordered(b)), long.MaxValue);

    private static long Ordered(float x)
    {
        int bits = BitConverter.SingleToInt32Bits(x);
        return bits < 0 ? -(long)(bits & int.MaxValue) : bits;
    }

    private static long Ordered(double x)
    {
        long bits = BitConverter.DoubleToInt64Bits(x);
        return bits < 0 ? -(bits & long.MaxValue) : bits;
    }

    /// <summary>The worst distance over the arguments of f from the reference, and its argument.</summary>
    public static (long Ulps, double At) Worst<T>(T[] xs, Func<T, T> f, Func<T, T> reference, Func<T, T, long> ulps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        (long, double) worst = (0, 0);
        foreach (var x in xs)
        {
            long d = ulps(f(x), reference(x));
            if (d > worst.Item1)
                worst = (d, double.CreateTruncating(x));
        }
        return worst;
    }
}

/// <summary>
/// <see cref="ElementaryMath.Sin{T}(T)"/> and <see cref="ElementaryMath.Cos{T}(T)"/> on the host: within 2 ulp of
/// .NET's float64 math (rounded to float32 for float32) over dense arguments to 1e5 (float32) and 1e9 (float64), the
/// hardest reductions near multiples of π/2 and magnitudes to the largest finite value; exact special values.
/// </summary>
public sealed class ElementaryMathTrigTests
{
    private const long Bound = 2;

    [Fact]
    public void Float32_is_within_2_ulp_of_the_rounded_float64_result()
    {
        var xs = TrigCases.Singles(grid: 400_000, multiples: 20_000, wide: 50_000, seed: 1);
        var sin = TrigCases.Worst(xs, ElementaryMath.Sin, x => (float)Math.Sin(x), TrigCases.Ulps);
        var cos = TrigCases.Worst(xs, ElementaryMath.Cos, x => (float)Math.Cos(x), TrigCases.Ulps);
        TestContext.Current.TestOutputHelper?.WriteLine($"float32: sin {sin.Ulps} ulp at {sin.At:R}, cos {cos.Ulps} ulp at {cos.At:R}");
        Assert.True(sin.Ulps <= Bound, $"sin: {sin.Ulps} ulp at {sin.At:R}");
        Assert.True(cos.Ulps <= Bound, $"cos: {cos.Ulps} ulp at {cos.At:R}");
    }

    [Fact]
    public void Float64_is_within_2_ulp_of_dotnets_math()
    {
        var xs = TrigCases.Doubles(grid: 300_000, multiples: 20_000, wide: 50_000, seed: 2);
        var sin = TrigCases.Worst(xs, ElementaryMath.Sin, Math.Sin, TrigCases.Ulps);
        var cos = TrigCases.Worst(xs, ElementaryMath.Cos, Math.Cos, TrigCases.Ulps);
        TestContext.Current.TestOutputHelper?.WriteLine($"float64: sin {sin.Ulps} ulp at {sin.At:R}, cos {cos.Ulps} ulp at {cos.At:R}");
        Assert.True(sin.Ulps <= Bound, $"sin: {sin.Ulps} ulp at {sin.At:R}");
        Assert.True(cos.Ulps <= Bound, $"cos: {cos.Ulps} ulp at {cos.At:R}");
    }

    [Theory]
    [InlineData(5.319372648326541e+255, 1.0, -4.687165924254628e-19)] // 6381956970095103·2^797, of all doubles the nearest a multiple of π/2 (.NET's cos is 8 ulp off here)
    [InlineData(1e22, -0.8522008497671888, 0.523214785395139)]
    [InlineData(double.MaxValue, 0.004961954789184062, -0.9999876894265599)]
    public void Hard_float64_arguments_are_reduced_exactly(double x, double sin, double cos)
    {
        // The references are the correctly rounded values (computed with 1300-bit arithmetic).
        Assert.Equal(sin, ElementaryMath.Sin(x));
        Assert.Equal(cos, ElementaryMath.Cos(x));
        Assert.Equal(-sin, ElementaryMath.Sin(-x));
    }

    [Fact]
    public void Special_values_are_exact()
    {
        foreach (double x in TrigCases.Special)
        {
            float single = (float)x;
            Assert.Equal(MathF.Sin(single), ElementaryMath.Sin(single));
            Assert.Equal(Math.Sin(x), ElementaryMath.Sin(x));
            Assert.Equal(MathF.Cos(single), ElementaryMath.Cos(single));
            Assert.Equal(Math.Cos(x), ElementaryMath.Cos(x));
        }
        // The sign of zero: sin(−0) = −0, in both element types and through the generic entry.
        Assert.Equal(BitConverter.SingleToInt32Bits(-0f), BitConverter.SingleToInt32Bits(ElementaryMath.Sin(-0f)));
        Assert.Equal(BitConverter.SingleToInt32Bits(-0f), BitConverter.SingleToInt32Bits(ElementaryMath.Sin<float>(-0f)));
        Assert.Equal(BitConverter.DoubleToInt64Bits(-0.0), BitConverter.DoubleToInt64Bits(ElementaryMath.Sin(-0.0)));
        Assert.Equal(BitConverter.DoubleToInt64Bits(-0.0), BitConverter.DoubleToInt64Bits(ElementaryMath.Sin<double>(-0.0)));
        Assert.Equal(BitConverter.DoubleToInt64Bits(0.0), BitConverter.DoubleToInt64Bits(ElementaryMath.Sin(0.0)));
        Assert.Equal(1.0, ElementaryMath.Cos<double>(-0.0));

        // The large-argument reduction reads the exponent of a NaN whose sign bit is set (as PTX's abs leaves it).
        double r = ElementaryMath.PayneHanek(BitConverter.Int64BitsToDouble(unchecked((long)0xFFF8_0000_0000_0000ul))).R;
        Assert.True(double.IsNaN(r));
    }

    [Fact]
    public void Payne_Hanek_agrees_with_Cody_Waite_where_both_apply()
    {
        // The large-argument reduction against the moderate one, r to within an ulp of r (both are double-doubles).
        var random = new Random(3);
        for (int i = 0; i < 20_000; i++)
        {
            double x = i < 10_000 ? Math.Pow(2, 40 * random.NextDouble()) : Math.FusedMultiplyAdd(i, 1.5707963267948966, i * 6.123233995736766e-17);
            var reduced = ElementaryMath.PayneHanek(x);
            var (q, r) = (reduced.Quadrant, reduced.R + reduced.Tail);
            double expected = ElementaryMath.Sin(x);
            double actual = ((q & 1) == 0 ? Math.Sin(r) : Math.Cos(r)) * ((q & 2) == 0 ? 1 : -1);
            Assert.True(TrigCases.Ulps(expected, actual) <= 2, $"x = {x:R}: quadrant {q}, r = {r:R}; sin {expected:R} against {actual:R}");
        }
    }
}

/// <summary>
/// The engine's sine and cosine operators as kernels on one device, in every layout it has: bit for bit the host's
/// <see cref="ElementaryMath"/> on the CPU accelerator (chunked and packed), within 2 ulp of .NET's math on GPUs
/// (whose compilers may contract products into fused multiply-adds), special values exact everywhere.
/// </summary>
public abstract class ElementaryMathTrigDeviceTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    [Fact]
    public void Float32_kernels_match_the_host()
    {
        var xs = TrigCases.Singles(grid: 20_000, multiples: 2_000, wide: 2_000, seed: 4).Concat(Array.ConvertAll(TrigCases.Special, v => (float)v)).ToArray();
        Check(xs, ElementaryMath.Sin, x => (float)Math.Sin(x), new Functions.SinOperator(), TrigCases.Ulps);
        Check(xs, ElementaryMath.Cos, x => (float)Math.Cos(x), new Functions.CosOperator(), TrigCases.Ulps);
    }

    [Fact]
    public void Float64_kernels_match_the_host()
    {
        var xs = TrigCases.Doubles(grid: 20_000, multiples: 2_000, wide: 2_000, seed: 5).Concat(TrigCases.Special).ToArray();
        Check(xs, ElementaryMath.Sin, Math.Sin, new Functions.SinOperator(), TrigCases.Ulps);
        Check(xs, ElementaryMath.Cos, Math.Cos, new Functions.CosOperator(), TrigCases.Ulps);
    }

    private void Check<T, TOp>(T[] xs, Func<T, T> host, Func<T, T> reference, TOp op, Func<T, T, long> ulps)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IUnaryOperator
    {
        var device = fixture.Require();
        bool cpu = device.Kind == DeviceKind.Cpu;
        KernelLibrary[] libraries = cpu ? [device.Kernels, new KernelLibrary(device.Accelerator, KernelStyle.Packed)] : [device.Kernels];
        using var x = device.FromArray(xs);
        using var y = device.Empty(x.Shape, x.DType);
        foreach (var kernels in libraries)
        {
            kernels.Map(x.View<T>(), y.View<T>(), op);
            var actual = y.ToArray<T>();
            long worst = 0;
            for (int i = 0; i < xs.Length; i++)
            {
                T expected = host(xs[i]);
                string where = $"{typeof(TOp).Name} {kernels.Style} on {device.Kind}: x = {xs[i]}, got {actual[i]}, host {expected}";
                if (T.IsNaN(expected))
                {
                    Assert.True(T.IsNaN(actual[i]), where);
                }
                else if (cpu || T.IsZero(xs[i]))
                {
                    Assert.True(expected.Equals(actual[i]) && T.IsNegative(expected) == T.IsNegative(actual[i]), where);
                }
                else
                {
                    worst = Math.Max(worst, ulps(actual[i], reference(xs[i])));
                    Assert.True(ulps(actual[i], reference(xs[i])) <= 2, where);
                }
            }
            TestContext.Current.TestOutputHelper?.WriteLine($"{typeof(T).Name} {typeof(TOp).Name} {kernels.Style} on {device.Kind}: {(cpu ? "bit for bit the host's" : $"worst {worst} ulp")}");
        }
    }
}

public sealed class CpuElementaryMathTrigDeviceTests(CpuFixture fixture) : ElementaryMathTrigDeviceTests<CpuFixture>(fixture);

public sealed class CudaElementaryMathTrigDeviceTests(CudaFixture fixture) : ElementaryMathTrigDeviceTests<CudaFixture>(fixture);

public sealed class OpenCLElementaryMathTrigDeviceTests(OpenCLFixture fixture) : ElementaryMathTrigDeviceTests<OpenCLFixture>(fixture);
