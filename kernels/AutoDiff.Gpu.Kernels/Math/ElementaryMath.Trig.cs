using System.Numerics;
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime.Cuda;

namespace AutoDiff.Gpu.Kernels;

// Sine and cosine in plain arithmetic, the same on every backend (PTX's sin.approx loses accuracy far from 0 and
// ILGPU's float64 routines are not trusted). x is reduced to r = x − q·π/2, |r| ≤ π/4 (plus rounding), and a
// minimax polynomial of sin or cos on r is chosen by the quadrant q. Reduction:
// - float32, |x| ≤ 105615: Cody–Waite with π/2 in three float32 parts, in float32 (consumer GPUs run float64 slowly);
// - float64, |x| ≤ 2^40: Cody–Waite with π/2 in three float64 parts, the remainder kept as a double-double;
// - beyond (float32 through float64, where a float32 is exact): Payne–Hanek, x·2/π with 190 fraction bits in
//   64-bit integers, so every finite argument is reduced accurately.
// Products that must not round twice go through Fma (PTX's fma.rn on CUDA; exact emulations elsewhere, bit for bit
// the same on the host and ILGPU's CPU accelerator); polynomials go through MulAdd (fma.rn on CUDA, a·b + c
// elsewhere); every other product whose rounding matters is exact (a power-of-2 scale), so a compiler that
// contracts a·b + c into a fused multiply-add (ptxas does, for ILGPU's mul.f32/add.f32) changes results only by
// rounding the polynomials' terms more accurately. The bounds below hold for both forms.
// The polynomials' coefficients are minimax fits for relative error on [−π/4, π/4], rounded to the element type
// (sin: 2^−28 in float32, 2^−57 in float64; cos: 2^−30, 2^−61). Measured against correctly rounded references:
// at most 1 ulp (every 7th float32 to 105615 and every 1021st beyond; dense float64 samples to 1e9, the hardest
// reductions and magnitudes to the largest double), on the CPU, CUDA (fused) and OpenCL alike.

/// <summary>
/// Elementary functions in plain arithmetic for operators to call inside kernels: the same accurate results on
/// every backend, where the backends' own math differs (hardware approximations on PTX).
/// </summary>
internal static partial class ElementaryMath
{
    /// <summary>sin x, within 2 ulp of the correctly rounded result for every finite x (NaN for ±∞ and NaN; sin ±0 = ±0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sin<T>(T x)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        IsSingle<T>() ? Element<T>(Sin(AsSingle(x))) : Element<T>(Sin(AsDouble(x)));

    /// <summary>cos x, within 2 ulp of the correctly rounded result for every finite x (NaN for ±∞ and NaN; cos ±0 = 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Cos<T>(T x)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        IsSingle<T>() ? Element<T>(Cos(AsSingle(x))) : Element<T>(Cos(AsDouble(x)));

    /// <summary>sin x in float32 arithmetic (float64 only to reduce |x| &gt; 105615).</summary>
    public static float Sin(float x)
    {
        // sin(−x) = −sin x: the sign of x is put back by its bit, so sin(−0) = −0.
        uint sign = Interop.FloatAsInt(x) & 0x8000_0000u;
        var reduced = Reduce(MathF.Abs(x));
        return Interop.IntAsFloat(Interop.FloatAsInt(Quadrant(reduced.Quadrant, reduced.R)) ^ sign);
    }

    /// <summary>cos x in float32 arithmetic (float64 only to reduce |x| &gt; 105615).</summary>
    public static float Cos(float x)
    {
        var reduced = Reduce(MathF.Abs(x));
        return Quadrant(reduced.Quadrant + 1, reduced.R);
    }

    /// <summary>sin x in float64 arithmetic.</summary>
    public static double Sin(double x)
    {
        ulong sign = Interop.FloatAsInt(x) & 0x8000_0000_0000_0000ul;
        var reduced = Reduce(Math.Abs(x));
        return Interop.IntAsFloat(Interop.FloatAsInt(Quadrant(reduced.Quadrant, reduced.R, reduced.Tail)) ^ sign);
    }

    /// <summary>cos x in float64 arithmetic.</summary>
    public static double Cos(double x)
    {
        var reduced = Reduce(Math.Abs(x));
        return Quadrant(reduced.Quadrant + 1, reduced.R, reduced.Tail);
    }

    /// <summary>sin(r + q·π/2) from the polynomials: sin or cos of r by q's parity, negated in the lower half-turn.</summary>
    private static float Quadrant(int q, float r)
    {
        float y = (q & 1) == 0 ? SinPolynomial(r) : CosPolynomial(r);
        return (q & 2) == 0 ? y : -y;
    }

    private static double Quadrant(int q, double r, double tail)
    {
        double y = (q & 1) == 0 ? SinPolynomial(r, tail) : CosPolynomial(r, tail);
        return (q & 2) == 0 ? y : -y;
    }

    /// <summary>sin r ≈ r + r³·P(r²) on |r| ≤ π/4.</summary>
    private static float SinPolynomial(float r)
    {
        float s = r * r;
        float p = MulAdd(s, 2.718117912e-06f, -1.983931143e-04f);
        p = MulAdd(s, p, 8.333329111e-03f);
        p = MulAdd(s, p, -1.666666716e-01f);
        return MulAdd(r * s, p, r);
    }

    /// <summary>cos r ≈ 1 − r²/2 + r⁴·Q(r²) on |r| ≤ π/4; 1 − r²/2 is split so its rounding error is kept.</summary>
    private static float CosPolynomial(float r)
    {
        float s = r * r;
        float p = MulAdd(s, 2.446374856e-05f, -1.388765406e-03f);
        p = MulAdd(s, p, 4.166665301e-02f);
        float half = 0.5f * s;
        float w = 1f - half;
        float tail = (1f - w) - half - (0.5f * Fma(r, r, -s)); // the rounding of 1 − s/2, then of s
        return w + MulAdd(s * s, p, tail);
    }

    /// <summary>sin(r + tail), with |tail| ≤ ulp(r)/2: r + r³·P(r²) + tail·(1 − r²/2).</summary>
    private static double SinPolynomial(double r, double tail)
    {
        double s = r * r;
        double p = MulAdd(s, -7.578533549306821e-13, 1.6058363030974323e-10);
        p = MulAdd(s, p, -2.5052104880816835e-08);
        p = MulAdd(s, p, 2.7557319214060936e-06);
        p = MulAdd(s, p, -0.00019841269841254793);
        p = MulAdd(s, p, 0.008333333333333323);
        p = MulAdd(s, p, -0.16666666666666666);
        return r + MulAdd(r * s, p, MulAdd(-0.5 * s, tail, tail));
    }

    /// <summary>cos(r + tail): 1 − r²/2 + r⁴·Q(r²) − r·tail, the roundings of r² and 1 − r²/2 kept.</summary>
    private static double CosPolynomial(double r, double tail)
    {
        double s = r * r;
        double p = MulAdd(s, -1.1367962992479814e-11, 2.087589732820275e-09);
        p = MulAdd(s, p, -2.7557315735300965e-07);
        p = MulAdd(s, p, 2.4801587294615892e-05);
        p = MulAdd(s, p, -0.001388888888888282);
        p = MulAdd(s, p, 0.04166666666666665);
        double half = 0.5 * s;
        double w = 1 - half;
        double low = (1 - w) - half - (0.5 * Fma(r, r, -s)) - (r * tail);
        return w + MulAdd(s * s, p, low);
    }

    /// <summary>q and r with a = q·π/2 + r, |r| ≤ π/4 (a ≥ 0; NaN r for ±∞ and NaN).</summary>
    /// <remarks>
    /// The reductions return their parts as a value, not through <c>out</c> parameters: ILGPU gives a variable whose
    /// address is taken a local-memory slot and zeroes it at every call, a store per element on GPUs.
    /// </remarks>
    private static Reduced32 Reduce(float a)
    {
        if (a <= 105615f)
        {
            // k = round(a·2/π) by the 1.5·2^23 shifter; k·π/2's first part is subtracted exactly (fused, and the
            // difference fits 24 bits), the two further parts carry π/2 to 2^−72.
            float k = MulAdd(a, 0.636619772f, 12582912f) - 12582912f;
            float r = Fma(-k, 1.57079637f, a);
            r = Fma(-k, -4.37113883e-08f, r);
            r = Fma(-k, -1.71512451e-15f, r);
            return new((int)k, r);
        }
        var wide = Reduce((double)a);
        return new(wide.Quadrant, (float)wide.R);
    }

    /// <summary>q and r + tail (a double-double) with a = q·π/2 + r + tail, |r| ≤ π/4 (a ≥ 0; NaN r for ±∞ and NaN).</summary>
    private static Reduced64 Reduce(double a)
    {
        if (a <= 1099511627776.0)
        {
            // k = round(a·2/π) by the 1.5·2^52 shifter. a − k·P1 is exact (fused, and it fits 53 bits); k·P2 is
            // split exactly into product and error; k·P3 is small enough to round once. P1 + P2 + P3 = π/2 to 2^−160.
            double k = MulAdd(a, 0.6366197723675814, 6755399441055744.0) - 6755399441055744.0;
            double head = Fma(-k, 1.5707963267948966, a);
            double product = MulAdd(k, 6.123233995736766e-17, 0); // on CUDA not a plain product, which ptxas could contract into the difference below, breaking the two-sum
            double error = Fma(k, 6.123233995736766e-17, -product);
            double sum = head - product;
            double low = TwoDifferenceError(head, product, sum) - error;
            low = MulAdd(-k, -1.4973849048591698e-33, low);
            double r = sum + low;
            return new((int)((long)k & 3), r, (sum - r) + low); // only the quadrant: k exceeds int32 above 2^31·π/2, where GPUs saturate a direct conversion
        }
        return PayneHanek(a);
    }

    /// <summary>a·b + c for the polynomials and roundings that need no exactness: PTX's fma.rn on CUDA (which also keeps ptxas from contracting it differently), a·b + c elsewhere.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float MulAdd(float a, float b, float c)
    {
        // ILGPU 1.5 has no fused multiply-add of its own: it emits MathF.FusedMultiplyAdd as an external function,
        // which PTX cannot link even in a dead branch. The accelerator type is a constant inside a kernel.
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("fma.rn.f32 %0, %1, %2, %3;", out float result, a, b, c);
            return result;
        }
        return (a * b) + c;
    }

    /// <inheritdoc cref="MulAdd(float, float, float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double MulAdd(double a, double b, double c)
    {
        // Through 32-bit halves: a float64 output of inline PTX would cost a local store at every call (InlinePtx).
        if (CudaAsm.IsSupported)
            return InlinePtx.FusedMultiplyAdd(a, b, c);
        return (a * b) + c;
    }

    /// <summary>
    /// a·b + c fused: PTX's fma.rn on CUDA; elsewhere in float64, where a·b is exact, so the result is a·b + c rounded
    /// once to float64 and then to float32 (exact wherever a·b + c is a float32, as in the reduction).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Fma(float a, float b, float c) =>
        CudaAsm.IsSupported ? MulAdd(a, b, c) : (float)(((double)a * b) + c);

    /// <summary>
    /// a·b + c fused: PTX's fma.rn on CUDA; elsewhere a·b split exactly into product and error (Dekker) and added to
    /// c with a two-sum: within an ulp of the fused result, and exactly it wherever a·b + c is a float64 (the
    /// reduction's exact steps and product errors). |a·b| must stay below 2^995 (the split).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Fma(double a, double b, double c)
    {
        if (CudaAsm.IsSupported)
            return MulAdd(a, b, c);
        double product = a * b;
        double error = ProductError(a, b, product);
        double sum = product + c;
        double sumError = -TwoDifferenceError(product, -c, sum);
        return sum + (sumError + error);
    }

    /// <summary>a·b − product exactly, for product = a·b rounded, by Veltkamp's split into 26-bit halves (Dekker).</summary>
    private static double ProductError(double a, double b, double product)
    {
        double ta = 134217729.0 * a, tb = 134217729.0 * b; // 2^27 + 1
        double aHigh = ta - (ta - a), bHigh = tb - (tb - b);
        double aLow = a - aHigh, bLow = b - bHigh;
        return (((aHigh * bHigh) - product) + (aHigh * bLow) + (aLow * bHigh)) + (aLow * bLow);
    }

    /// <summary>The rounding error of <c>difference = a − b</c> (Knuth's two-sum, no ordering of |a|, |b| needed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double TwoDifferenceError(double a, double b, double difference)
    {
        double bVirtual = a - difference;
        double aVirtual = difference + bVirtual;
        return (a - aVirtual) + (bVirtual - b);
    }

    /// <summary>
    /// Payne–Hanek reduction of a &gt; 2^40 (or ±∞/NaN): a = m·2^e with m a 53-bit integer; a·2/π mod 4 is m times
    /// the 192 bits of 2/π from bit e − 1 on (the bits before contribute multiples of 4), mod 2^192: 2 quadrant bits
    /// and 190 fraction bits, of which the first 128 become a double-double and are multiplied by π/2.
    /// </summary>
    internal static Reduced64 PayneHanek(double a)
    {
        ulong bits = Interop.FloatAsInt(a);
        int exponent = (int)(bits >> 52) & 0x7FF; // masked: PTX's abs.f64 can leave a NaN's sign bit set
        if (exponent == 0x7FF)
            return new(0, double.NaN, 0); // not a − a, which ILGPU folds to 0
        ulong m = (bits & 0xF_FFFF_FFFF_FFFFul) | 0x10_0000_0000_0000ul;
        int start = exponent - 1075 - 1; // a = m·2^(exponent − 1075); a bit of 2/π at j ≥ 1 (weight 2^−j) meets m at 2^(exponent − 1075 − j)
        ulong b0 = TwoOverPiBits(start), b1 = TwoOverPiBits(start + 64), b2 = TwoOverPiBits(start + 128);

        // (m·b0·2^128 + m·b1·2^64 + m·b2) mod 2^192 in three 64-bit limbs, most significant first.
        ulong low2 = m * b2;
        ulong high2 = MultiplyHigh(m, b2);
        ulong low1 = m * b1;
        ulong high1 = MultiplyHigh(m, b1);
        ulong limb2 = low2;
        ulong limb1 = high2 + low1;
        ulong carry = ((high2 & low1) | ((high2 | low1) & ~limb1)) >> 63; // the carry out of limb1, by bits: no overflow-dependent comparison for C compilers to fold
        ulong limb0 = high1 + (m * b0) + carry;

        // The top two bits are the quadrant; the fraction rounds it to nearest: read as signed, a fraction ≥ ½ is
        // f − 1 and the quadrant goes up by one.
        ulong fractionHigh = (limb0 << 2) | (limb1 >> 62);
        ulong fractionLow = (limb1 << 2) | (limb2 >> 62);
        int q = (int)(limb0 >> 62) + (int)(fractionHigh >> 63);
        long signedHigh = (long)fractionHigh;

        // f = high·2^−64 + low·2^−128 as a double-double: the top 32 bits and the next 32 are exact doubles.
        double top = (signedHigh >> 32) * 2.3283064365386963e-10;
        double next = (uint)signedHigh * 5.421010862427522e-20;
        double lower = (fractionLow >> 11) * 6.018531076210112e-36;
        double sum = top + next;
        double low = (next - (sum - top)) + lower; // |top| ≥ |next| unless top = 0, where the sum is exact

        // r = f·π/2, with π/2 as a double-double.
        double head = MulAdd(sum, 1.5707963267948966, 0); // as in the Cody–Waite step: no contraction into r
        double error = Fma(sum, 1.5707963267948966, -head);
        error = MulAdd(sum, 6.123233995736766e-17, MulAdd(low, 1.5707963267948966, error));
        double r = head + error;
        return new(q & 3, r, (head - r) + error);
    }

    /// <summary>The high 64 bits of the 128-bit product a·b, from 32-bit halves.</summary>
    private static ulong MultiplyHigh(ulong a, ulong b)
    {
        ulong aLow = a & 0xFFFF_FFFFul, aHigh = a >> 32;
        ulong bLow = b & 0xFFFF_FFFFul, bHigh = b >> 32;
        ulong lowLow = aLow * bLow;
        ulong middle = (aHigh * bLow) + (lowLow >> 32);
        ulong middle2 = (aLow * bHigh) + (middle & 0xFFFF_FFFFul);
        return (aHigh * bHigh) + (middle >> 32) + (middle2 >> 32);
    }

    /// <summary>64 bits of 2/π = 0.101000101111…₂ from bit j on (bit 1 weighs 2^−1; bits j &lt; 1 are 0).</summary>
    private static ulong TwoOverPiBits(int j)
    {
        int offset = j - 1; // bit offset into the words below, whose first word starts at the 2^−1 bit
        int word = offset >> 6;
        int shift = offset & 63;
        ulong first = TwoOverPiWord(word), second = TwoOverPiWord(word + 1);
        return (first << shift) | ((second >> 1) >> (63 - shift));
    }

    /// <summary>Word i of 2/π's binary fraction (bits 64i + 1 … 64i + 64); 0 for i &lt; 0.</summary>
    private static ulong TwoOverPiWord(int i) => i switch
    {
        0 => 0xA2F9836E4E441529ul,
        1 => 0xFC2757D1F534DDC0ul,
        2 => 0xDB6295993C439041ul,
        3 => 0xFE5163ABDEBBC561ul,
        4 => 0xB7246E3A424DD2E0ul,
        5 => 0x06492EEA09D1921Cul,
        6 => 0xFE1DEB1CB129A73Eul,
        7 => 0xE88235F52EBB4484ul,
        8 => 0xE99C7026B45F7E41ul,
        9 => 0x3991D639835339F4ul,
        10 => 0x9C845F8BBDF9283Bul,
        11 => 0x1FF897FFDE05980Ful,
        12 => 0xEF2F118B5A0A6D1Ful,
        13 => 0x6D367ECF27CB09B7ul,
        14 => 0x4F463F669E5FEA2Dul,
        15 => 0x7527BAC7EBE5F17Bul,
        16 => 0x3D0739F78A5292EAul,
        17 => 0x6BFB5FB11F8D5D08ul,
        18 => 0x56033046FC7B6BABul,
        _ => 0ul,
    };

    /// <summary>A float32 argument reduced by π/2: the quadrant q and r, with the argument = q·π/2 + r.</summary>
    private readonly record struct Reduced32(int Quadrant, float R);

    /// <summary>A float64 argument reduced by π/2: the quadrant q and r + tail (a double-double).</summary>
    internal readonly record struct Reduced64(int Quadrant, double R, double Tail);
}
