using System.Numerics;
using System.Runtime.CompilerServices;

namespace AutoDiff.Gpu.Kernels;

// SIMD forms of eˣ, ln x, tanh x, sin x and cos x for the CPU accelerator's contiguous loops
// (IUnaryOperator.ApplyVector). Each is the scalar function's steps written on vectors, in the same order: .NET
// contracts no a·b + c, in vectors or scalars, so every lane's bits are the scalar result's, and a result does not
// depend on where its element falls in a chunk. A vector with a lane off the common path (eˣ near overflow or
// underflow, ln of a subnormal, zero, negative or special value, sin or cos past the Cody–Waite reduction's range,
// NaN anywhere) takes the scalar function lane by lane. GPU kernels never call these. The vector steps are compiled
// fully optimized from the first call: tier-0 code of Vector<T> arithmetic runs several times slower than the scalar
// function.
internal static partial class ElementaryMath
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

    /// <summary>sin x lane by lane, bit for bit <see cref="Sin{T}(T)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> Sin<T>(Vector<T> x)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float) ? Vector.As<float, T>(Sin(Vector.As<T, float>(x)))
        : typeof(T) == typeof(double) ? Vector.As<double, T>(Sin(Vector.As<T, double>(x)))
        : throw Unsupported<T>();

    /// <summary>cos x lane by lane, bit for bit <see cref="Cos{T}(T)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> Cos<T>(Vector<T> x)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float) ? Vector.As<float, T>(Cos(Vector.As<T, float>(x)))
        : typeof(T) == typeof(double) ? Vector.As<double, T>(Cos(Vector.As<T, double>(x)))
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

    /// <summary>sin x of float32 lanes (every |x| ≤ 105615, the Cody–Waite reduction's range, else lane by lane).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Vector<float> Sin(Vector<float> x)
    {
        var a = Vector.Abs(x);
        if (!Vector.LessThanOrEqualAll(a, new Vector<float>(105615f)))
            return Lanes(x, Sin);
        var sign = Vector.AsVectorUInt32(x) & new Vector<uint>(0x8000_0000u);
        var r = Reduce(a, out var q);
        return Vector.AsVectorSingle(Vector.AsVectorUInt32(Quadrant(q, r)) ^ sign);
    }

    /// <summary>cos x of float32 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Vector<float> Cos(Vector<float> x)
    {
        var a = Vector.Abs(x);
        if (!Vector.LessThanOrEqualAll(a, new Vector<float>(105615f)))
            return Lanes(x, Cos);
        var r = Reduce(a, out var q);
        return Quadrant(q + Vector<int>.One, r);
    }

    /// <summary>sin x of float64 lanes (every |x| ≤ 2^40, the Cody–Waite reduction's range, else lane by lane).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Vector<double> Sin(Vector<double> x)
    {
        var a = Vector.Abs(x);
        if (!Vector.LessThanOrEqualAll(a, new Vector<double>(1099511627776.0)))
            return Lanes(x, Sin);
        var sign = Vector.AsVectorUInt64(x) & new Vector<ulong>(0x8000_0000_0000_0000ul);
        var r = Reduce(a, out var q, out var tail);
        return Vector.AsVectorDouble(Vector.AsVectorUInt64(Quadrant(q, r, tail)) ^ sign);
    }

    /// <summary>cos x of float64 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Vector<double> Cos(Vector<double> x)
    {
        var a = Vector.Abs(x);
        if (!Vector.LessThanOrEqualAll(a, new Vector<double>(1099511627776.0)))
            return Lanes(x, Cos);
        var r = Reduce(a, out var q, out var tail);
        return Quadrant(q + Vector<long>.One, r, tail);
    }

    // The scalar trigonometric steps (ElementaryMath.Trig.cs) on vectors, as the CPU runs them (MulAdd = a·b + c).

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Reduce(Vector<float> a, out Vector<int> quadrant)
    {
        var shifter = new Vector<float>(12582912f);
        var k = ((a * 0.636619772f) + shifter) - shifter;
        var minusK = Negate(k);
        var r = Fma(minusK, new Vector<float>(1.57079637f), a);
        r = Fma(minusK, new Vector<float>(-4.37113883e-08f), r);
        r = Fma(minusK, new Vector<float>(-1.71512451e-15f), r);
        quadrant = Vector.ConvertToInt32(k);
        return r;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<double> Reduce(Vector<double> a, out Vector<long> quadrant, out Vector<double> tail)
    {
        var shifter = new Vector<double>(6755399441055744.0);
        var k = ((a * 0.6366197723675814) + shifter) - shifter;
        var head = Fma(Negate(k), new Vector<double>(1.5707963267948966), a);
        var product = (k * 6.123233995736766e-17) + Vector<double>.Zero;
        var error = Fma(k, new Vector<double>(6.123233995736766e-17), Negate(product));
        var sum = head - product;
        var low = TwoDifferenceError(head, product, sum) - error;
        low = (Negate(k) * -1.4973849048591698e-33) + low;
        var r = sum + low;
        quadrant = Vector.ConvertToInt64(k) & new Vector<long>(3);
        tail = (sum - r) + low;
        return r;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Quadrant(Vector<int> q, Vector<float> r)
    {
        var y = Vector.ConditionalSelect(Vector.Equals(q & Vector<int>.One, Vector<int>.Zero), SinPolynomial(r), CosPolynomial(r));
        return Vector.ConditionalSelect(Vector.Equals(q & new Vector<int>(2), Vector<int>.Zero), y, Negate(y));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<double> Quadrant(Vector<long> q, Vector<double> r, Vector<double> tail)
    {
        var y = Vector.ConditionalSelect(Vector.Equals(q & Vector<long>.One, Vector<long>.Zero), SinPolynomial(r, tail), CosPolynomial(r, tail));
        return Vector.ConditionalSelect(Vector.Equals(q & new Vector<long>(2), Vector<long>.Zero), y, Negate(y));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> SinPolynomial(Vector<float> r)
    {
        var s = r * r;
        var p = (s * 2.718117912e-06f) + new Vector<float>(-1.983931143e-04f);
        p = (s * p) + new Vector<float>(8.333329111e-03f);
        p = (s * p) + new Vector<float>(-1.666666716e-01f);
        return (r * s * p) + r;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> CosPolynomial(Vector<float> r)
    {
        var s = r * r;
        var p = (s * 2.446374856e-05f) + new Vector<float>(-1.388765406e-03f);
        p = (s * p) + new Vector<float>(4.166665301e-02f);
        var half = 0.5f * s;
        var w = Vector<float>.One - half;
        var tail = (Vector<float>.One - w) - half - (0.5f * Fma(r, r, Negate(s)));
        return w + ((s * s * p) + tail);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<double> SinPolynomial(Vector<double> r, Vector<double> tail)
    {
        var s = r * r;
        var p = (s * -7.578533549306821e-13) + new Vector<double>(1.6058363030974323e-10);
        p = (s * p) + new Vector<double>(-2.5052104880816835e-08);
        p = (s * p) + new Vector<double>(2.7557319214060936e-06);
        p = (s * p) + new Vector<double>(-0.00019841269841254793);
        p = (s * p) + new Vector<double>(0.008333333333333323);
        p = (s * p) + new Vector<double>(-0.16666666666666666);
        return r + ((r * s * p) + ((-0.5 * s * tail) + tail));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<double> CosPolynomial(Vector<double> r, Vector<double> tail)
    {
        var s = r * r;
        var p = (s * -1.1367962992479814e-11) + new Vector<double>(2.087589732820275e-09);
        p = (s * p) + new Vector<double>(-2.7557315735300965e-07);
        p = (s * p) + new Vector<double>(2.4801587294615892e-05);
        p = (s * p) + new Vector<double>(-0.001388888888888282);
        p = (s * p) + new Vector<double>(0.04166666666666665);
        var half = 0.5 * s;
        var w = Vector<double>.One - half;
        var low = (Vector<double>.One - w) - half - (0.5 * Fma(r, r, Negate(s))) - (r * tail);
        return w + ((s * s * p) + low);
    }

    /// <summary>The CPU's <c>Fma(float, float, float)</c>: a·b + c in float64 (a·b exact there), rounded to float32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Fma(Vector<float> a, Vector<float> b, Vector<float> c)
    {
        Vector.Widen(a, out var a0, out var a1);
        Vector.Widen(b, out var b0, out var b1);
        Vector.Widen(c, out var c0, out var c1);
        return Vector.Narrow((a0 * b0) + c0, (a1 * b1) + c1);
    }

    /// <summary>The CPU's <c>Fma(double, double, double)</c>: Dekker's product error and a two-sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<double> Fma(Vector<double> a, Vector<double> b, Vector<double> c)
    {
        var product = a * b;
        var error = ProductError(a, b, product);
        var sum = product + c;
        var sumError = Negate(TwoDifferenceError(product, Negate(c), sum));
        return sum + (sumError + error);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<double> ProductError(Vector<double> a, Vector<double> b, Vector<double> product)
    {
        Vector<double> ta = 134217729.0 * a, tb = 134217729.0 * b;
        Vector<double> aHigh = ta - (ta - a), bHigh = tb - (tb - b);
        Vector<double> aLow = a - aHigh, bLow = b - bHigh;
        return (((aHigh * bHigh) - product) + (aHigh * bLow) + (aLow * bHigh)) + (aLow * bLow);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<double> TwoDifferenceError(Vector<double> a, Vector<double> b, Vector<double> difference)
    {
        var bVirtual = a - difference;
        var aVirtual = difference + bVirtual;
        return (a - aVirtual) + (bVirtual - b);
    }

    /// <summary>−x as the scalar code negates: the sign bit flipped (0 − x would turn −0 into +0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Negate(Vector<float> x) => Vector.AsVectorSingle(Vector.AsVectorUInt32(x) ^ new Vector<uint>(0x8000_0000u));

    /// <inheritdoc cref="Negate(Vector{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<double> Negate(Vector<double> x) => Vector.AsVectorDouble(Vector.AsVectorUInt64(x) ^ new Vector<ulong>(0x8000_0000_0000_0000ul));

    /// <summary>f on each lane of x: the path for vectors with a lane the SIMD steps do not cover.</summary>
    private static Vector<TElement> Lanes<TElement>(Vector<TElement> x, Func<TElement, TElement> f)
        where TElement : unmanaged =>
        VectorLanes.Map(x, f, static (value, function) => function(value));

    private static NotSupportedException Unsupported<T>() => new($"ElementaryMath's vector forms take float32 or float64 lanes, not {typeof(T).Name}");
}

/// <summary>A scalar function on each lane of a vector: what a SIMD form falls back to for lanes its steps do not cover (CPU only).</summary>
internal static class VectorLanes
{
    /// <summary>
    /// <c>f(x[i], state)</c> for every lane i. A static lambda with the parameters in <paramref name="state"/> allocates
    /// nothing per call.
    /// </summary>
    public static Vector<TElement> Map<TElement, TState>(Vector<TElement> x, TState state, Func<TElement, TState, TElement> f)
        where TElement : unmanaged
    {
        ArgumentNullException.ThrowIfNull(f);
        Span<TElement> values = stackalloc TElement[Vector<TElement>.Count];
        x.CopyTo(values);
        for (int i = 0; i < values.Length; i++)
            values[i] = f(values[i], state);
        return new Vector<TElement>(values);
    }
}
