using System.Numerics;
using System.Runtime.CompilerServices;

namespace AutoDiff.Gpu.Kernels;

// SIMD forms of eˣ, ln x and tanh x for the CPU accelerator's contiguous loops (IUnaryOperator.ApplyVector). Each
// is the scalar function's steps written on vectors, in the same order: .NET contracts no a·b + c, in vectors or
// scalars, so every lane's bits are the scalar result's, and a result does not depend on where its element falls in a
// chunk. A vector with a lane off the common path (eˣ near overflow or underflow, ln of a subnormal, zero, negative
// or special value, NaN anywhere) takes the scalar function lane by lane. GPU kernels never call these. The vector
// steps are compiled fully optimized from the first call: tier-0 code of Vector<T> arithmetic runs several times
// slower than the scalar function.
public static partial class ElementaryMath
{
    /// <summary>eˣ lane by lane, bit for bit <see cref="Exp{T}(T)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> Exp<T>(Vector<T> x)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float) ? Vector.As<float, T>(Exp(Vector.As<T, float>(x)))
        : typeof(T) == typeof(double) ? Vector.As<double, T>(Exp(Vector.As<T, double>(x)))
        : throw Unsupported<T>();

    /// <summary>ln x lane by lane, bit for bit <see cref="Log{T}(T)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> Log<T>(Vector<T> x)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float) ? Vector.As<float, T>(Log(Vector.As<T, float>(x)))
        : typeof(T) == typeof(double) ? Vector.As<double, T>(Log(Vector.As<T, double>(x)))
        : throw Unsupported<T>();

    /// <summary>tanh x lane by lane, bit for bit <see cref="Tanh{T}(T)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> Tanh<T>(Vector<T> x)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float) ? Vector.As<float, T>(Tanh(Vector.As<T, float>(x)))
        : typeof(T) == typeof(double) ? Vector.As<double, T>(Tanh(Vector.As<T, double>(x)))
        : throw Unsupported<T>();

    /// <summary>eˣ of float32 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Vector<float> Exp(Vector<float> x)
    {
        if (!Vector.GreaterThanAll(x, new Vector<float>(-87f)) || !Vector.LessThanAll(x, new Vector<float>(88f)))
            return Lanes(x, Exp);
        var shifter = new Vector<float>(12582912f);
        var t = (x * 1.44269502f) + shifter;
        var k = t - shifter;
        var r = x - (k * Ln2HiSingle) - (k * Ln2LoSingle);
        var n = Vector.AsVectorInt32(t) - Vector.AsVectorInt32(shifter);
        var q = (r * 0.0013926175888627768f) + new Vector<float>(0.008363173343241215f);
        q = (q * r) + new Vector<float>(0.041666556149721146f);
        q = (q * r) + new Vector<float>(0.16666577756404877f);
        q = (q * r) + new Vector<float>(0.5f);
        var y = Vector<float>.One + ((r * r * q) + r);
        return y * Vector.AsVectorSingle((n + new Vector<int>(127)) << 23);
    }

    /// <summary>eˣ of float64 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Vector<double> Exp(Vector<double> x)
    {
        if (!Vector.GreaterThanAll(x, new Vector<double>(-708.0)) || !Vector.LessThanAll(x, new Vector<double>(709.0)))
            return Lanes(x, Exp);
        var shifter = new Vector<double>(6755399441055744.0);
        var t = (x * 1.4426950408889634) + shifter;
        var k = t - shifter;
        var r = x - (k * Ln2HiDouble) - (k * Ln2LoDouble);
        var n = Vector.AsVectorInt64(t) - Vector.AsVectorInt64(shifter);
        var r2 = r * r;
        var r4 = r2 * r2;
        var q = (r * 0.1666666666666667) + new Vector<double>(0.5) + (r2 * ((r * 0.008333333333326141) + new Vector<double>(0.04166666666666667)));
        var q4 = (r * 0.00019841269874800493) + new Vector<double>(0.0013888888888883752)
            + (r2 * ((r * 2.7557255425746435e-06) + new Vector<double>(2.4801587325533363e-05)));
        var q8 = (r * 2.510520637395701e-08) + new Vector<double>(2.7557273661348637e-07) + (r2 * 2.0914679376583935e-09);
        q += r4 * (q4 + (r4 * q8));
        var y = Vector<double>.One + ((r2 * q) + r);
        return y * Vector.AsVectorDouble((n + new Vector<long>(1023)) << 52);
    }

    /// <summary>ln x of float32 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Vector<float> Log(Vector<float> x)
    {
        // The common path: every lane normal, positive and finite.
        if (!Vector.GreaterThanOrEqualAll(x, new Vector<float>(1.17549435e-38f)) || !Vector.LessThanAll(x, new Vector<float>(float.PositiveInfinity)))
            return Lanes(x, Log);
        var bits = Vector.AsVectorInt32(x);
        var e = Vector.ShiftRightLogical(bits, 23) - new Vector<int>(127);
        var m = Vector.AsVectorSingle((bits & new Vector<int>(0x007fffff)) | new Vector<int>(0x3f800000));
        var above = Vector.GreaterThan(m, new Vector<float>(1.41421354f));
        m = Vector.ConditionalSelect(above, m * 0.5f, m);
        e -= above;
        var f = m - Vector<float>.One;
        var s = f / (new Vector<float>(2f) + f);
        var z = s * s;
        var p = (z * 0.2333046793937683f) + new Vector<float>(0.2855082154273987f);
        p = (p * z) + new Vector<float>(0.4000012278556824f);
        p = (p * z) + new Vector<float>(0.6666666865348816f);
        var halfSquare = 0.5f * f * f;
        var ef = Vector.ConvertToSingle(e);
        var low = (s * ((z * p) + halfSquare)) + (ef * Ln2LoSingle);
        return (ef * Ln2HiSingle) + (f - (halfSquare - low));
    }

    /// <summary>ln x of float64 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Vector<double> Log(Vector<double> x)
    {
        if (!Vector.GreaterThanOrEqualAll(x, new Vector<double>(2.2250738585072014e-308)) || !Vector.LessThanAll(x, new Vector<double>(double.PositiveInfinity)))
            return Lanes(x, Log);
        var bits = Vector.AsVectorInt64(x);
        var e = Vector.ShiftRightLogical(bits, 52) - new Vector<long>(1023);
        var m = Vector.AsVectorDouble((bits & new Vector<long>(0x000fffffffffffffL)) | new Vector<long>(0x3ff0000000000000L));
        var above = Vector.GreaterThan(m, new Vector<double>(1.4142135623730951));
        m = Vector.ConditionalSelect(above, m * 0.5, m);
        e -= above;
        var f = m - Vector<double>.One;
        var s = f / (new Vector<double>(2.0) + f);
        var z = s * s;
        var p = (z * 0.13086626147840102) + new Vector<double>(0.13268773138656886);
        p = (p * z) + new Vector<double>(0.15386239702814658);
        p = (p * z) + new Vector<double>(0.18181795640132906);
        p = (p * z) + new Vector<double>(0.22222222391713917);
        p = (p * z) + new Vector<double>(0.28571428570803614);
        p = (p * z) + new Vector<double>(0.4000000000000088);
        p = (p * z) + new Vector<double>(0.6666666666666666);
        var halfSquare = 0.5 * f * f;
        var ef = Vector.ConvertToDouble(e);
        var low = (s * ((z * p) + halfSquare)) + (ef * Ln2LoDouble);
        return (ef * Ln2HiDouble) + (f - (halfSquare - low));
    }

    /// <summary>tanh x of float32 lanes: both of the scalar function's paths, each lane taking its own.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Vector<float> Tanh(Vector<float> x)
    {
        var small = Vector.LessThan(Vector.Abs(x), new Vector<float>(0.55f));
        if (Vector.EqualsAll(small, Vector<int>.AllBitsSet))
            return TanhSmall(x);
        var large = TanhLarge(x);
        return Vector.EqualsAll(small, Vector<int>.Zero) ? large : Vector.ConditionalSelect(small, TanhSmall(x), large);
    }

    /// <summary>tanh x of float64 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Vector<double> Tanh(Vector<double> x)
    {
        var small = Vector.LessThan(Vector.Abs(x), new Vector<double>(0.55));
        if (Vector.EqualsAll(small, Vector<long>.AllBitsSet))
            return TanhSmall(x);
        var large = TanhLarge(x);
        return Vector.EqualsAll(small, Vector<long>.Zero) ? large : Vector.ConditionalSelect(small, TanhSmall(x), large);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Vector<float> TanhSmall(Vector<float> x)
    {
        var t = x * x;
        var p = (t * -0.00661022774875164f) + new Vector<float>(0.021309388801455498f);
        p = (p * t) - new Vector<float>(0.05390942841768265f);
        p = (p * t) + new Vector<float>(0.13333113491535187f);
        p = (p * t) - new Vector<float>(0.3333333134651184f);
        return Vector.ConditionalSelect(Vector.Equals(x, Vector<float>.Zero), x, (x * t * p) + x);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Vector<double> TanhSmall(Vector<double> x)
    {
        var t = x * x;
        var p = (t * -2.060276537636634e-05) + new Vector<double>(8.511313685577672e-05);
        p = (p * t) - new Vector<double>(0.0002346347410887237);
        p = (p * t) + new Vector<double>(0.0005889360520074057);
        p = (p * t) - new Vector<double>(0.001455661830100716);
        p = (p * t) + new Vector<double>(0.003592110378689024);
        p = (p * t) - new Vector<double>(0.008863234397814355);
        p = (p * t) + new Vector<double>(0.021869488493666944);
        p = (p * t) - new Vector<double>(0.053968253967434016);
        p = (p * t) + new Vector<double>(0.13333333333332714);
        p = (p * t) - new Vector<double>(0.3333333333333333);
        return Vector.ConditionalSelect(Vector.Equals(x, Vector<double>.Zero), x, (x * t * p) + x);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Vector<float> TanhLarge(Vector<float> x)
    {
        var negative = Vector.LessThan(x, Vector<float>.Zero);
        var a = Vector.ConditionalSelect(negative, -x, x);
        var y = Vector<float>.One - (new Vector<float>(2f) / (Exp(a + a) + Vector<float>.One));
        return Vector.ConditionalSelect(negative, -y, y);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Vector<double> TanhLarge(Vector<double> x)
    {
        var negative = Vector.LessThan(x, Vector<double>.Zero);
        var a = Vector.ConditionalSelect(negative, -x, x);
        var y = Vector<double>.One - (new Vector<double>(2.0) / (Exp(a + a) + Vector<double>.One));
        return Vector.ConditionalSelect(negative, -y, y);
    }

    /// <summary>f on each lane of x: the path for vectors with a lane the SIMD steps do not cover.</summary>
    private static Vector<TElement> Lanes<TElement>(Vector<TElement> x, Func<TElement, TElement> f)
        where TElement : unmanaged
    {
        Span<TElement> values = stackalloc TElement[Vector<TElement>.Count];
        x.CopyTo(values);
        for (int i = 0; i < values.Length; i++)
            values[i] = f(values[i]);
        return new Vector<TElement>(values);
    }

    private static NotSupportedException Unsupported<T>() => new($"ElementaryMath's vector forms take float32 or float64 lanes, not {typeof(T).Name}");
}
