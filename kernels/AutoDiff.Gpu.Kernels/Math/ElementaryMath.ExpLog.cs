using System.Numerics;
using ILGPU;

namespace AutoDiff.Gpu.Kernels;

// eˣ, ln x and tanh x within 2 ulp of the correctly rounded result (tests/…/ElementaryMathExpLogTests.cs
// sweeps them), every special value exact. Polynomial coefficients come from
// scripts/elementary-math-coefficients.py (Chebyshev fits in 40-digit arithmetic, rounded to the type).
// Only plain +, −, ·, / and bit moves: ILGPU 1.5.3 has no fused multiply-add (Math.FusedMultiplyAdd becomes a
// call to an undefined function in PTX), and the steps are written so that a compiler contracting a·b + c
// (ptxas and OpenCL C may) moves a result by rounding noise only: the products of the range reductions
// (k·Ln2Hi) are exact, so their differences are exact with or without contraction.
internal static partial class ElementaryMath
{
    // ln 2 = Ln2Hi + Ln2Lo with Ln2Hi's low bits zero: k·Ln2Hi is exact for every exponent k met here.
    private const float Ln2HiSingle = 0.693145751953125f;
    private const float Ln2LoSingle = 1.428606765330187e-06f;
    private const double Ln2HiDouble = 0.6931471805601177;
    private const double Ln2LoDouble = -1.7239444525614835e-13;

    /// <summary>eˣ (exp(0) = 1, exp(−∞) = 0, exp(∞) = ∞, NaN propagates).</summary>
    public static T Exp<T>(T x)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        IsSingle<T>() ? Element<T>(Exp(AsSingle(x))) : Element<T>(Exp(AsDouble(x)));

    /// <summary>ln x (ln 1 = 0, ln 0 = −∞, ln x = NaN for x &lt; 0, ln ∞ = ∞, NaN propagates).</summary>
    public static T Log<T>(T x)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        IsSingle<T>() ? Element<T>(Log(AsSingle(x))) : Element<T>(Log(AsDouble(x)));

    /// <summary>tanh x (the sign of ±0 kept, tanh(±∞) = ±1, NaN propagates).</summary>
    public static T Tanh<T>(T x)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        IsSingle<T>() ? Element<T>(Tanh(AsSingle(x))) : Element<T>(Tanh(AsDouble(x)));

    /// <summary>eˣ in float32.</summary>
    public static float Exp(float x)
    {
        // Normal results take one product by 2^n; the rest (and NaN, tested from its bits) the careful path.
        if (x > -87f && x < 88f && !IsNaNBits(x))
            return ExpReduced(x, out int n) * Pow2Single(n);

        // Past these bounds the result is 0 or ∞ anyway; clamping keeps n small, and 2^n in two halves makes
        // results near overflow and subnormal ones round once. NaN becomes 89 here and is restored below.
        float c = x < 89f ? x : 89f;
        c = c > -104f ? c : -104f;
        float y = ExpReduced(c, out int m);
        int half = m >> 1;
        y = y * Pow2Single(half) * Pow2Single(m - half);
        return IsNaNBits(x) ? x : y;
    }

    /// <summary>eʳ with x = n·ln 2 + r, |r| ≤ ln 2 / 2, for |x| &lt; 105.</summary>
    private static float ExpReduced(float x, out int n)
    {
        // Adding 1.5·2²³ rounds x / ln 2 to an integer, which the low bits then hold.
        const float shifter = 12582912f;
        float t = (x * 1.44269502f) + shifter;
        float k = t - shifter;
        float r = x - (k * Ln2HiSingle) - (k * Ln2LoSingle);
        n = unchecked((int)(Interop.FloatAsInt(t) - Interop.FloatAsInt(shifter)));

        // eʳ = 1 + r + r²·q(r)
        float q = (r * 0.0013926175888627768f) + 0.008363173343241215f;
        q = (q * r) + 0.041666556149721146f;
        q = (q * r) + 0.16666577756404877f;
        q = (q * r) + 0.5f;
        return 1f + ((r * r * q) + r);
    }

    /// <summary>eˣ in float64.</summary>
    public static double Exp(double x)
    {
        // Normal results take one product by 2^n; the rest (and NaN, tested from its bits) the careful path.
        if (x > -708.0 && x < 709.0 && !IsNaNBits(x))
            return ExpReduced(x, out int n) * Pow2Double(n);
        double c = x < 710.0 ? x : 710.0;
        c = c > -746.0 ? c : -746.0;
        double y = ExpReduced(c, out int m);
        int half = m >> 1;
        y = y * Pow2Double(half) * Pow2Double(m - half);
        return IsNaNBits(x) ? x : y;
    }

    /// <summary>eʳ with x = n·ln 2 + r, |r| ≤ ln 2 / 2, for |x| &lt; 746.</summary>
    private static double ExpReduced(double x, out int n)
    {
        const double shifter = 6755399441055744.0;
        double t = (x * 1.4426950408889634) + shifter;
        double k = t - shifter;
        double r = x - (k * Ln2HiDouble) - (k * Ln2LoDouble);
        n = unchecked((int)(long)(Interop.FloatAsInt(t) - Interop.FloatAsInt(shifter)));

        // eʳ = 1 + r + r²·q(r), q in Estrin's form: its parts run side by side (a shorter chain on CPUs).
        double r2 = r * r, r4 = r2 * r2;
        double q = (r * 0.1666666666666667) + 0.5 + (r2 * ((r * 0.008333333333326141) + 0.04166666666666667));
        double q4 = (r * 0.00019841269874800493) + 0.0013888888888883752 + (r2 * ((r * 2.7557255425746435e-06) + 2.4801587325533363e-05));
        double q8 = (r * 2.510520637395701e-08) + 2.7557273661348637e-07 + (r2 * 2.0914679376583935e-09);
        q += r4 * (q4 + (r4 * q8));
        return 1.0 + ((r2 * q) + r);
    }

    /// <summary>ln x in float32.</summary>
    public static float Log(float x)
    {
        // Subnormals are scaled into the normal range first.
        bool subnormal = x < 1.17549435e-38f;
        float scaled = subnormal ? x * 16777216f : x;
        uint bits = Interop.FloatAsInt(scaled);
        int e = (int)(bits >> 23) - (subnormal ? 127 + 24 : 127);

        // x = 2^e·m with m in [√½, √2), so f = m − 1 is exact and small.
        float m = Interop.IntAsFloat((bits & 0x007fffffu) | 0x3f800000u);
        if (m > 1.41421354f)
        {
            m *= 0.5f;
            e++;
        }
        float f = m - 1f;

        // ln m = 2·atanh s with s = f / (2 + f), written as f − (f²/2 − s·(f²/2 + R(s²))) to keep f exact.
        float s = f / (2f + f);
        float z = s * s;
        float p = (z * 0.2333046793937683f) + 0.2855082154273987f;
        p = (p * z) + 0.4000012278556824f;
        p = (p * z) + 0.6666666865348816f;
        float halfSquare = 0.5f * f * f;
        float ef = e;
        float low = (s * ((z * p) + halfSquare)) + (ef * Ln2LoSingle);
        float y = (ef * Ln2HiSingle) + (f - (halfSquare - low));

        // NaN first, from its bits: an OpenCL compiler may take an unordered comparison as true.
        if (IsNaNBits(x))
            return x;
        return x > 0f && x < float.PositiveInfinity ? y : x == 0f ? float.NegativeInfinity : x < 0f ? float.NaN : x;
    }

    /// <summary>ln x in float64.</summary>
    public static double Log(double x)
    {
        bool subnormal = x < 2.2250738585072014e-308;
        double scaled = subnormal ? x * 18014398509481984.0 : x;
        ulong bits = Interop.FloatAsInt(scaled);
        int e = (int)(bits >> 52) - (subnormal ? 1023 + 54 : 1023);

        double m = Interop.IntAsFloat((bits & 0x000fffffffffffffUL) | 0x3ff0000000000000UL);
        if (m > 1.4142135623730951)
        {
            m *= 0.5;
            e++;
        }
        double f = m - 1.0;

        double s = f / (2.0 + f);
        double z = s * s;
        double p = (z * 0.13086626147840102) + 0.13268773138656886;
        p = (p * z) + 0.15386239702814658;
        p = (p * z) + 0.18181795640132906;
        p = (p * z) + 0.22222222391713917;
        p = (p * z) + 0.28571428570803614;
        p = (p * z) + 0.4000000000000088;
        p = (p * z) + 0.6666666666666666;
        double halfSquare = 0.5 * f * f;
        double ef = e;
        double low = (s * ((z * p) + halfSquare)) + (ef * Ln2LoDouble);
        double y = (ef * Ln2HiDouble) + (f - (halfSquare - low));

        // NaN first, from its bits: an OpenCL compiler may take an unordered comparison as true.
        if (IsNaNBits(x))
            return x;
        return x > 0.0 && x < double.PositiveInfinity ? y : x == 0.0 ? double.NegativeInfinity : x < 0.0 ? double.NaN : x;
    }

    /// <summary>tanh x in float32.</summary>
    public static float Tanh(float x)
    {
        // Small |x|: x + x³·p(x²); the rest: 1 − 2 / (e^{2|x|} + 1), which is ≥ ½ there, so no cancellation
        // (e^{2|x|} = ∞ gives 1).
        if (x > -0.55f && x < 0.55f)
        {
            float t = x * x;
            float p = (t * -0.00661022774875164f) + 0.021309388801455498f;
            p = (p * t) - 0.05390942841768265f;
            p = (p * t) + 0.13333113491535187f;
            p = (p * t) - 0.3333333134651184f;
            // x³·p(x²) is +0 for x = −0, which would lose the sign.
            return x == 0f ? x : ((x * t * p) + x);
        }
        float a = x < 0f ? -x : x;
        float y = 1f - (2f / (Exp(a + a) + 1f));
        return x < 0f ? -y : y;
    }

    /// <summary>tanh x in float64.</summary>
    public static double Tanh(double x)
    {
        if (x > -0.55 && x < 0.55)
        {
            double t = x * x;
            double p = (t * -2.060276537636634e-05) + 8.511313685577672e-05;
            p = (p * t) - 0.0002346347410887237;
            p = (p * t) + 0.0005889360520074057;
            p = (p * t) - 0.001455661830100716;
            p = (p * t) + 0.003592110378689024;
            p = (p * t) - 0.008863234397814355;
            p = (p * t) + 0.021869488493666944;
            p = (p * t) - 0.053968253967434016;
            p = (p * t) + 0.13333333333332714;
            p = (p * t) - 0.3333333333333333;
            return x == 0.0 ? x : ((x * t * p) + x);
        }
        double a = x < 0.0 ? -x : x;
        double y = 1.0 - (2.0 / (Exp(a + a) + 1.0));
        return x < 0.0 ? -y : y;
    }

}
