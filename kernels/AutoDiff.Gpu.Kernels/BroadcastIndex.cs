using System.Runtime.CompilerServices;

// The index is a kernel argument: plain data with public fields, read alike on the CPU and on GPUs.
#pragma warning disable CA1051

namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// Where element i of a fused expression reads an input broadcast to the expression's shape (NumPy's rules):
/// <c>offset(i) = Σₜ ((i / Dₜ) mod Mₜ)·Sₜ</c>, one term per merged dimension the input is not broadcast along.
/// Along each innermost run of <see cref="Run"/> elements the offset steps by <see cref="Step"/> (1, or 0 where
/// one value repeats). Equal indices read the same elements, so an expression reads such an input once.
/// </summary>
public record struct BroadcastIndex
{
    /// <summary>The most terms an index holds; a broadcast that needs more is not fused.</summary>
    public const int MaxTerms = 3;

    /// <summary>Terms in use.</summary>
    public int Terms;

    /// <summary>Divisors: elements of the expression per step of the term's dimension.</summary>
    public long D0, D1, D2;

    /// <summary>Moduli: the sizes of the terms' dimensions.</summary>
    public long M0, M1, M2;

    /// <summary>Strides of the input along the terms' dimensions, in elements.</summary>
    public long S0, S1, S2;

    /// <summary>Elements of the innermost merged dimension: the offset steps by <see cref="Step"/> along it.</summary>
    public long Run;

    /// <summary>The input's stride along <see cref="Run"/>: 1, or 0 where one value repeats.</summary>
    public int Step;

    /// <summary>The input's offset for element <paramref name="i"/> of the expression.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly long Offset(long i)
    {
        long offset = 0;
        if (Terms > 0) offset += Coordinate(i, D0, M0) * S0;
        if (Terms > 1) offset += Coordinate(i, D1, M1) * S1;
        if (Terms > 2) offset += Coordinate(i, D2, M2) * S2;
        return offset;
    }

    /// <summary>Whether the index can be read: a positive run, 0 to 3 terms of positive divisors and moduli.</summary>
    public readonly bool IsWellFormed =>
        Run > 0 && Step is 0 or 1 && Terms is >= 0 and <= MaxTerms
        && (Terms < 1 || (D0 > 0 && M0 > 0 && S0 >= 0))
        && (Terms < 2 || (D1 > 0 && M1 > 0 && S1 >= 0))
        && (Terms < 3 || (D2 > 0 && M2 > 0 && S2 >= 0));

    /// <summary>The largest offset an expression of <paramref name="count"/> elements reads (−1: none).</summary>
    public readonly long MaxOffset(long count)
    {
        if (count == 0)
            return -1;
        long offset = 0;
        if (Terms > 0) offset += Math.Min(M0 - 1, (count - 1) / D0) * S0;
        if (Terms > 1) offset += Math.Min(M1 - 1, (count - 1) / D1) * S1;
        if (Terms > 2) offset += Math.Min(M2 - 1, (count - 1) / D2) * S2;
        return offset;
    }

    /// <summary>
    /// The index of an input of strides <paramref name="strides"/> (0 along broadcast dimensions) in an expression
    /// of <paramref name="shape"/>, both outermost first. False when it needs more than <see cref="MaxTerms"/> terms,
    /// when its innermost stride is neither 0 nor 1, or when it is no broadcast (element i at i: read it whole).
    /// </summary>
    public static bool TryCreate(ReadOnlySpan<int> shape, ReadOnlySpan<long> strides, out BroadcastIndex index)
    {
        if (strides.Length != shape.Length)
            throw new ArgumentException($"{strides.Length} strides for rank {shape.Length}", nameof(strides));
        index = default;
        // Merged dimensions, innermost first: sizes and strides.
        Span<long> sizes = stackalloc long[shape.Length];
        Span<long> steps = stackalloc long[shape.Length];
        int merged = 0;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(strides[d], nameof(strides));
            if (shape[d] == 1)
                continue;
            if (merged > 0 && strides[d] == steps[merged - 1] * sizes[merged - 1])
            {
                sizes[merged - 1] *= shape[d];
                continue;
            }
            (sizes[merged], steps[merged]) = (shape[d], strides[d]);
            merged++;
        }
        // None (one element) or one contiguous dimension: every element reads its own.
        if (merged == 0 || (merged == 1 && steps[0] == 1) || steps[0] > 1)
            return false;
        index.Run = sizes[0];
        index.Step = (int)steps[0];
        long divisor = 1;
        for (int k = 0; k < merged; k++)
        {
            if (steps[k] != 0)
            {
                if (index.Terms == MaxTerms)
                    return false;
                index.SetTerm(index.Terms++, divisor, sizes[k], steps[k]);
            }
            divisor *= sizes[k];
        }
        return true;
    }

    private void SetTerm(int t, long divisor, long modulus, long stride)
    {
        switch (t)
        {
            case 0: (D0, M0, S0) = (divisor, modulus, stride); break;
            case 1: (D1, M1, S1) = (divisor, modulus, stride); break;
            default: (D2, M2, S2) = (divisor, modulus, stride); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long Coordinate(long i, long divisor, long modulus)
    {
        // 32-bit division where the index allows it: 64-bit division is a long routine on GPUs.
        if (i <= int.MaxValue && modulus <= int.MaxValue && divisor <= int.MaxValue)
            return (int)i / (int)divisor % (int)modulus;
        return i / divisor % modulus;
    }
}
