using AutoDiff.Gpu.Functions;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Tests;

/// <summary>Samples of each function's domain and ulp distances, shared by the host and device tests.</summary>
public static class ElementaryMathSamples
{
    /// <summary>The engine operators the device tests run.</summary>
    public static TheoryData<string> DeviceFunctions() => ["exp", "log", "tanh", "sigmoid"];

    /// <summary>The largest error allowed against the correctly rounded result, in units in the last place.</summary>
    public const long MaxUlps = 2;

    public static readonly float[] SingleSpecials =
        [0f, -0f, 1f, -1f, float.Epsilon, -float.Epsilon, float.MinValue, float.MaxValue, float.PositiveInfinity, float.NegativeInfinity, float.NaN, 0.5f, 2f, 88.7f, 89f, -87.3f, -103f, -104f, 1e-30f, 9f, -9.1f];

    public static readonly double[] DoubleSpecials =
        [0.0, -0.0, 1.0, -1.0, double.Epsilon, -double.Epsilon, double.MinValue, double.MaxValue, double.PositiveInfinity, double.NegativeInfinity, double.NaN, 0.5, 2.0, 709.78, 710.0, -708.4, -745.0, -746.0, 1e-300, 19.0, -19.1];

    /// <summary>
    /// <paramref name="count"/> float32 samples of [<paramref name="low"/>, <paramref name="high"/>]: half uniform
    /// over bit patterns (every binade alike, both signs when the range spans 0), half uniform over values.
    /// </summary>
    public static float[] Singles(float low, float high, int count, int seed)
    {
        var random = new Random(seed);
        var samples = new float[count];
        for (int i = 0; i < count; i++)
        {
            float x;
            do
            {
                x = i % 2 == 0 ? BitConverter.Int32BitsToSingle(random.Next() | (random.Next(2) << 31)) : low + ((high - low) * random.NextSingle());
            }
            while (!(x >= low && x <= high));
            samples[i] = x;
        }
        return samples;
    }

    /// <summary>As <see cref="Singles"/> for float64.</summary>
    public static double[] Doubles(double low, double high, int count, int seed)
    {
        var random = new Random(seed);
        var samples = new double[count];
        for (int i = 0; i < count; i++)
        {
            double x;
            do
            {
                x = i % 2 == 0 ? BitConverter.Int64BitsToDouble(random.NextInt64()) : low + ((high - low) * random.NextDouble());
            }
            while (!(x >= low && x <= high));
            samples[i] = x;
        }
        return samples;
    }

    /// <summary>Representable values between a and b (0 for equal values and for two NaNs; long.MaxValue for one NaN).</summary>
    public static long Ulps(float a, float b) =>
        float.IsNaN(a) || float.IsNaN(b) ? (float.IsNaN(a) && float.IsNaN(b) ? 0 : long.MaxValue) : Math.Abs(Ordered(BitConverter.SingleToInt32Bits(a)) - Ordered(BitConverter.SingleToInt32Bits(b)));

    /// <summary>Representable values between a and b, as for float32.</summary>
    public static long Ulps(double a, double b)
    {
        if (double.IsNaN(a) || double.IsNaN(b))
            return double.IsNaN(a) && double.IsNaN(b) ? 0 : long.MaxValue;
        Int128 distance = (Int128)Ordered(BitConverter.DoubleToInt64Bits(a)) - Ordered(BitConverter.DoubleToInt64Bits(b));
        return (long)Int128.Min(Int128.Abs(distance), long.MaxValue);
    }

    // Sign-magnitude bits to a line where neighbouring values differ by 1 (±0 meet at 0).
    private static long Ordered(int bits) => bits < 0 ? -(long)(bits & int.MaxValue) : bits;

    private static long Ordered(long bits) => bits < 0 ? -(bits & long.MaxValue) : bits;
}

/// <summary>
/// <see cref="ElementaryMath"/>'s exp, log and tanh on the host: within 2 ulp of the correctly rounded result
/// over dense samples of each domain (float32 against .NET's float64 function rounded to float32, float64
/// against .NET's own, itself within 1 ulp), and the special values exact.
/// </summary>
public sealed class ElementaryMathExpLogTests
{
    private const int Count = 1_000_000;

    public static TheoryData<string> Functions() => ["exp", "log", "tanh"];

    [Theory]
    [MemberData(nameof(Functions))]
    public void Float32_is_within_2_ulp(string name)
    {
        var (function, reference, low, high) = Single(name);
        foreach (float x in ElementaryMathSamples.Singles(low, high, Count, name.Length).Concat(ElementaryMathSamples.SingleSpecials))
        {
            float actual = function(x), expected = reference(x);
            if (ElementaryMathSamples.Ulps(actual, expected) > ElementaryMathSamples.MaxUlps)
                Assert.Fail($"{name}({x:R}) = {actual:R}, expected {expected:R}");
        }
    }

    [Theory]
    [MemberData(nameof(Functions))]
    public void Float64_is_within_2_ulp(string name)
    {
        var (function, reference, low, high) = Double(name);
        foreach (double x in ElementaryMathSamples.Doubles(low, high, Count, name.Length).Concat(ElementaryMathSamples.DoubleSpecials))
        {
            double actual = function(x), expected = reference(x);
            if (ElementaryMathSamples.Ulps(actual, expected) > ElementaryMathSamples.MaxUlps)
                Assert.Fail($"{name}({x:R}) = {actual:R}, expected {expected:R}");
        }
    }

    [Fact]
    public void Special_values_are_exact()
    {
        foreach (var (x, y) in new (double, double)[]
        {
            (0.0, 1.0), (-0.0, 1.0), (double.PositiveInfinity, double.PositiveInfinity), (double.NegativeInfinity, 0.0), (double.NaN, double.NaN),
            (-800.0, 0.0), (800.0, double.PositiveInfinity),
        })
        {
            Assert.Equal(y, ElementaryMath.Exp(x));
            Assert.Equal((float)y, ElementaryMath.Exp((float)x));
        }
        foreach (var (x, y) in new (double, double)[]
        {
            (1.0, 0.0), (0.0, double.NegativeInfinity), (-0.0, double.NegativeInfinity), (-1.0, double.NaN), (double.NegativeInfinity, double.NaN),
            (double.PositiveInfinity, double.PositiveInfinity), (double.NaN, double.NaN),
        })
        {
            Assert.Equal(y, ElementaryMath.Log(x));
            Assert.Equal((float)y, ElementaryMath.Log((float)x));
        }
        foreach (var (x, y) in new (double, double)[]
        {
            (0.0, 0.0), (-0.0, -0.0), (double.PositiveInfinity, 1.0), (double.NegativeInfinity, -1.0), (double.NaN, double.NaN), (50.0, 1.0), (-50.0, -1.0),
        })
        {
            Assert.Equal(y, ElementaryMath.Tanh(x));
            Assert.Equal((float)y, ElementaryMath.Tanh((float)x));
        }
        // ±0 keep their sign (Assert.Equal treats them as equal).
        Assert.True(double.IsNegative(ElementaryMath.Tanh(-0.0)) && float.IsNegative(ElementaryMath.Tanh(-0f)));
        Assert.True(ElementaryMath.Log(1.0) is 0.0 && !double.IsNegative(ElementaryMath.Log(1.0)) && !float.IsNegative(ElementaryMath.Log(1f)));
        // The generic forms dispatch on the element type.
        Assert.Equal(ElementaryMath.Exp(0.75f), ElementaryMath.Exp<float>(0.75f));
        Assert.Equal(ElementaryMath.Log(0.75), ElementaryMath.Log<double>(0.75));
        Assert.Equal(ElementaryMath.Tanh(0.75), ElementaryMath.Tanh<double>(0.75));
    }

    /// <summary>The function, its reference and the sampled domain (a little past where results saturate).</summary>
    internal static (Func<float, float>, Func<float, float>, float, float) Single(string name) => name switch
    {
        "exp" => (ElementaryMath.Exp, x => (float)Math.Exp(x), -105f, 90f),
        "log" => (ElementaryMath.Log, x => (float)Math.Log(x), 0f, float.MaxValue),
        _ => (ElementaryMath.Tanh, x => (float)Math.Tanh(x), -10f, 10f),
    };

    /// <summary>As <see cref="Single"/> for float64.</summary>
    internal static (Func<double, double>, Func<double, double>, double, double) Double(string name) => name switch
    {
        "exp" => (ElementaryMath.Exp, Math.Exp, -746.0, 710.0),
        "log" => (ElementaryMath.Log, Math.Log, 0.0, double.MaxValue),
        _ => (ElementaryMath.Tanh, Math.Tanh, -20.0, 20.0),
    };
}

/// <summary>
/// The engine's exp, log, tanh and sigmoid operators run on the device against <see cref="ElementaryMath"/> on
/// the host: bit for bit on the CPU accelerator (both layouts), which runs the same .NET code; within 2 ulp on
/// GPUs, whose compilers may contract a·b + c into fused multiply-adds; special values exact everywhere.
/// </summary>
public abstract class ElementaryMathDeviceTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : DeviceFixture
{
    private const int Count = 100_000;

    [Theory]
    [MemberData(nameof(ElementaryMathSamples.DeviceFunctions), MemberType = typeof(ElementaryMathSamples))]
    public void Device_matches_the_host(string name)
    {
        var device = fixture.Require();
        bool exact = device.Kind == DeviceKind.Cpu;
        // Sigmoid rounds exp's result, 1 + e and the quotient; a GPU compiler contracting the last product of exp
        // into 1 + e skips one of those roundings, so it may differ from the host by one more ulp each side.
        long bound = name == "sigmoid" ? 2 * ElementaryMathSamples.MaxUlps : ElementaryMathSamples.MaxUlps;
        List<KernelLibrary> libraries = [device.Kernels];
        if (exact)
            libraries.Add(new KernelLibrary(device.Accelerator, KernelStyle.Packed));
        string domain = name == "sigmoid" ? "tanh" : name;
        var (_, _, low, high) = ElementaryMathExpLogTests.Single(domain);
        var singles = ElementaryMathSamples.Singles(low * 2, high, Count, 7).Concat(ElementaryMathSamples.SingleSpecials).ToArray();
        var (_, _, lowD, highD) = ElementaryMathExpLogTests.Double(domain);
        var doubles = ElementaryMathSamples.Doubles(lowD * 2, highD, Count, 7).Concat(ElementaryMathSamples.DoubleSpecials).ToArray();

        foreach (var kernels in libraries)
        {
            using var x = device.FromArray(singles);
            using var y = device.Empty(x.Shape, DType.Float32);
            Map(name, kernels, x.View<float>(), y.View<float>());
            var actual = y.ToArray<float>();
            for (int i = 0; i < singles.Length; i++)
            {
                float expected = Host(name, singles[i]);
                long ulps = ElementaryMathSamples.Ulps(actual[i], expected);
                bool special = float.IsNaN(expected) || float.IsInfinity(expected) || expected == 0 || Math.Abs(expected) == 1;
                bool same = BitConverter.SingleToInt32Bits(actual[i]) == BitConverter.SingleToInt32Bits(expected) || (float.IsNaN(expected) && float.IsNaN(actual[i]));
                if (exact || special ? !same : ulps > bound)
                    Assert.Fail($"{name}({singles[i]:R}) in float32 on {device.Name} ({kernels.Style}): {actual[i]:R}, host {expected:R}");
            }

            using var xd = device.FromArray(doubles);
            using var yd = device.Empty(xd.Shape, DType.Float64);
            Map(name, kernels, xd.View<double>(), yd.View<double>());
            var actualD = yd.ToArray<double>();
            for (int i = 0; i < doubles.Length; i++)
            {
                double expected = Host(name, doubles[i]);
                long ulps = ElementaryMathSamples.Ulps(actualD[i], expected);
                bool special = double.IsNaN(expected) || double.IsInfinity(expected) || expected == 0 || Math.Abs(expected) == 1;
                bool same = BitConverter.DoubleToInt64Bits(actualD[i]) == BitConverter.DoubleToInt64Bits(expected) || (double.IsNaN(expected) && double.IsNaN(actualD[i]));
                if (exact || special ? !same : ulps > bound)
                    Assert.Fail($"{name}({doubles[i]:R}) in float64 on {device.Name} ({kernels.Style}): {actualD[i]:R}, host {expected:R}");
            }
        }
    }

    private static void Map<T>(string name, KernelLibrary kernels, ILGPU.ArrayView<T> x, ILGPU.ArrayView<T> y)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        switch (name)
        {
            case "exp": kernels.Map<T, ExpOperator>(x, y); break;
            case "log": kernels.Map<T, LogOperator>(x, y); break;
            case "tanh": kernels.Map<T, TanhOperator>(x, y); break;
            default: kernels.Map<T, SigmoidOperator>(x, y); break;
        }
    }

    private static float Host(string name, float x) => name switch
    {
        "exp" => ElementaryMath.Exp(x),
        "log" => ElementaryMath.Log(x),
        "tanh" => ElementaryMath.Tanh(x),
        _ => 1f / (1f + ElementaryMath.Exp(-x)),
    };

    private static double Host(string name, double x) => name switch
    {
        "exp" => ElementaryMath.Exp(x),
        "log" => ElementaryMath.Log(x),
        "tanh" => ElementaryMath.Tanh(x),
        _ => 1.0 / (1.0 + ElementaryMath.Exp(-x)),
    };
}

public sealed class CpuElementaryMathDeviceTests(CpuFixture fixture) : ElementaryMathDeviceTests<CpuFixture>(fixture);

public sealed class CudaElementaryMathDeviceTests(CudaFixture fixture) : ElementaryMathDeviceTests<CudaFixture>(fixture);

public sealed class OpenCLElementaryMathDeviceTests(OpenCLFixture fixture) : ElementaryMathDeviceTests<OpenCLFixture>(fixture);
