using System.Numerics;

namespace AutoDiff.Gpu.Distributed;

/// <summary>How two ranks' values combine, on vectors and on single elements.</summary>
internal interface IRankOperator<T>
    where T : unmanaged, INumber<T>
{
    static abstract Vector<T> Apply(Vector<T> x, Vector<T> y);

    static abstract T Apply(T x, T y);
}

/// <summary>x + y</summary>
internal readonly struct RankSum<T> : IRankOperator<T>
    where T : unmanaged, INumber<T>
{
    public static Vector<T> Apply(Vector<T> x, Vector<T> y) => x + y;

    public static T Apply(T x, T y) => x + y;
}

/// <summary>max(x, y): NaN where either is NaN, and +0 above −0 (IEEE 754 maximum).</summary>
internal readonly struct RankMax<T> : IRankOperator<T>
    where T : unmanaged, INumber<T>
{
    public static Vector<T> Apply(Vector<T> x, Vector<T> y) => Vector.Max(x, y);

    public static T Apply(T x, T y) => T.Max(x, y);
}

/// <summary>The vectorized loop that combines the ranks' values, element by element.</summary>
internal static unsafe class RankReduction
{
    /// <summary>
    /// Writes <c>((parts[0] op parts[1]) op parts[2]) ...</c> into <paramref name="into"/> and
    /// <paramref name="copy"/>, for <paramref name="count"/> elements. <paramref name="into"/> may be a part.
    /// </summary>
    public static void Combine<T, TOperator>(ReadOnlySpan<nint> parts, long count, T* into, T* copy)
        where T : unmanaged, INumber<T>
        where TOperator : IRankOperator<T>
    {
        int width = Vector<T>.Count;
        long i = 0;
        for (; i + width <= count; i += width)
        {
            var result = Vector.Load((T*)parts[0] + i);
            for (int p = 1; p < parts.Length; p++)
                result = TOperator.Apply(result, Vector.Load((T*)parts[p] + i));
            result.Store(into + i);
            result.Store(copy + i);
        }
        for (; i < count; i++)
        {
            var result = ((T*)parts[0])[i];
            for (int p = 1; p < parts.Length; p++)
                result = TOperator.Apply(result, ((T*)parts[p])[i]);
            into[i] = result;
            copy[i] = result;
        }
    }
}
