using System.Numerics;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Distributed;

/// <summary>
/// The vectorized loop that combines the ranks' values, element by element, with a kernel reduction:
/// <see cref="SumReduction"/> or <see cref="MaxReduction"/> (IEEE 754 maximum: NaN kept, +0 above −0).
/// </summary>
internal static unsafe class RankReduction
{
    /// <summary>
    /// Writes <c>((parts[0] ⊕ parts[1]) ⊕ parts[2]) ...</c> into <paramref name="into"/> and
    /// <paramref name="copy"/>, for <paramref name="count"/> elements. <paramref name="into"/> may be a part.
    /// </summary>
    public static void Combine<T, TReduce>(ReadOnlySpan<nint> parts, long count, T* into, T* copy)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TReduce : struct, IReduction
    {
        int width = Vector<T>.Count;
        long i = 0;
        for (; i + width <= count; i += width)
        {
            var result = Vector.Load((T*)parts[0] + i);
            for (int p = 1; p < parts.Length; p++)
                result = TReduce.Combine(result, Vector.Load((T*)parts[p] + i));
            result.Store(into + i);
            result.Store(copy + i);
        }
        for (; i < count; i++)
        {
            var result = ((T*)parts[0])[i];
            for (int p = 1; p < parts.Length; p++)
                result = TReduce.Combine(result, ((T*)parts[p])[i]);
            into[i] = result;
            copy[i] = result;
        }
    }
}
