using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AutoDiff.Gpu.Kernels;

internal static unsafe partial class CpuRoutines
{
    /// <summary>Columns one chunked columns item covers: its accumulators stay in L1.</summary>
    public const int ColumnBlock = 1024;

    /// <summary>
    /// Elements summed in SIMD accumulators before a partial result enters the pairwise cascade: 16 or 32 KB. Each
    /// leaf costs a call and a step of the cascade; with 512-element leaves they took a quarter of a 64 MiB sum.
    /// </summary>
    private const int CascadeLeaf = 4096;

    /// <summary>Rows added into a block accumulator before it is added into the column's total (two-level summation).</summary>
    private const int RowBlock = 64;

    /// <summary>Elements of the buffer a reduction evaluates an expression into: four rows of a column block.</summary>
    public const int SourceBuffer = 4 * ColumnBlock;

    /// <summary>
    /// Segments [start, start + count) of the rows reduction: segment v = (row, s) covers
    /// [s·segment, min(n, (s+1)·segment)) of its row; <c>y[v] = post(⊕)</c>.
    /// </summary>
    // Its buffer is written before it is read: zeroing it would cost more than a small reduction.
    [MethodImpl(MethodImplOptions.AggressiveOptimization), SkipLocalsInit]
    public static void ReduceRows<T, TSource, TReduce, TPost>(
        in TSource x, T* y, long start, long count, long n, long segment, long segments, TPost post)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TSource : struct, IReduceSource<T>
        where TReduce : struct, IReduction
        where TPost : struct, IUnaryOperator
    {
        Span<T> scratch = TSource.Buffered ? stackalloc T[CascadeLeaf] : default;
        fixed (T* buffer = scratch)
        {
            for (long v = start; v < start + count; v++)
            {
                long row = v / segments;
                long begin = (v - (row * segments)) * segment;
                long length = Math.Min(segment, n - begin);
                y[v] = post.Apply(Cascade<T, TSource, TReduce>(x, buffer, (row * n) + begin, length));
            }
        }
    }

    /// <summary>
    /// Items [start, start + count) of the columns reduction: item (o, s, b) reduces rows
    /// [s·segment, min(n, (s+1)·segment)) of columns [b·<see cref="ColumnBlock"/>, …) into
    /// <c>y[o, s, column] = post(⊕)</c>, adding <see cref="RowBlock"/> rows at a time before the total.
    /// </summary>
    // Its accumulators are filled and its buffer written before they are read: zeroing 8–24 KB per call would
    // cost more than a small reduction (a bias gradient's).
    [MethodImpl(MethodImplOptions.AggressiveOptimization), SkipLocalsInit]
    public static void ReduceColumns<T, TSource, TReduce, TPost>(
        in TSource x, T* y, long start, long count, long n, long inner, long segment, long segments, TPost post)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TSource : struct, IReduceSource<T>
        where TReduce : struct, IReduction
        where TPost : struct, IUnaryOperator
    {
        long blocks = (inner + ColumnBlock - 1) / ColumnBlock;
        Span<T> total = stackalloc T[ColumnBlock];
        Span<T> block = stackalloc T[ColumnBlock];
        Span<T> scratch = TSource.Buffered ? stackalloc T[SourceBuffer] : default;
        fixed (T* buffer = scratch)
        {
            for (long item = start; item < start + count; item++)
            {
                long rest = item / blocks;
                long firstColumn = (item - (rest * blocks)) * ColumnBlock;
                int width = (int)Math.Min(ColumnBlock, inner - firstColumn);
                long o = rest / segments;
                long begin = (rest - (o * segments)) * segment;
                long end = Math.Min(n, begin + segment);
                var sum = total[..width];
                var part = block[..width];
                sum.Fill(TReduce.Identity<T>());
                for (long j = begin; j < end; j += RowBlock)
                {
                    part.Fill(TReduce.Identity<T>());
                    long stop = Math.Min(end, j + RowBlock);
                    long r = j;
                    long at = (((o * n) + r) * inner) + firstColumn;
                    for (; r + 3 < stop; r += 4, at += 4 * inner)
                    {
                        T* rows = x.Rows(buffer, at, width, 4, inner, out long step);
                        Accumulate4<T, TReduce>(part, rows, step);
                    }
                    for (; r < stop; r++, at += inner)
                        Accumulate<T, TReduce>(part, x.Read(buffer, at, width));
                    fixed (T* pp = part)
                        Accumulate<T, TReduce>(sum, pp);
                }
                T* target = y + (rest * inner) + firstColumn;
                for (int c = 0; c < width; c++)
                    target[c] = post.Apply(sum[c]);
            }
        }
    }

    /// <summary>acc[c] = acc[c] ⊕ source[c] for every c, with SIMD.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate<T, TReduce>(Span<T> acc, T* source)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TReduce : struct, IReduction
    {
        int width = acc.Length;
        int c = 0;
        fixed (T* pa = acc)
        {
            for (; c <= width - Vector<T>.Count; c += Vector<T>.Count)
                Vector.Store(TReduce.Combine(Vector.Load(pa + c), Vector.Load(source + c)), pa + c);
            for (; c < width; c++)
                pa[c] = TReduce.Combine(pa[c], source[c]);
        }
    }

    /// <summary>
    /// acc[c] = (((acc[c] ⊕ s[c]) ⊕ s[c + stride]) ⊕ s[c + 2·stride]) ⊕ s[c + 3·stride]: four rows in one pass over
    /// the accumulators, in the order that four <see cref="Accumulate{T, TReduce}"/> calls combine them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate4<T, TReduce>(Span<T> acc, T* source, long stride)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TReduce : struct, IReduction
    {
        int width = acc.Length;
        int c = 0;
        T* s1 = source + stride, s2 = s1 + stride, s3 = s2 + stride;
        fixed (T* pa = acc)
        {
            for (; c <= width - Vector<T>.Count; c += Vector<T>.Count)
            {
                var v = TReduce.Combine(Vector.Load(pa + c), Vector.Load(source + c));
                v = TReduce.Combine(v, Vector.Load(s1 + c));
                v = TReduce.Combine(v, Vector.Load(s2 + c));
                Vector.Store(TReduce.Combine(v, Vector.Load(s3 + c)), pa + c);
            }
            for (; c < width; c++)
                pa[c] = TReduce.Combine(TReduce.Combine(TReduce.Combine(TReduce.Combine(pa[c], source[c]), s1[c]), s2[c]), s3[c]);
        }
    }

    /// <summary>
    /// ⊕ of <paramref name="length"/> contiguous elements: leaves of <see cref="CascadeLeaf"/> elements in four SIMD
    /// accumulators, combined pairwise lane by lane (a binary counter of vectors), the lanes combined once, then the
    /// last elements one by one. A float32 sum's rounding error grows with log n rather than n.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static T Cascade<T, TReduce>(T* x, long length)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TReduce : struct, IReduction =>
        Cascade<T, MemorySource<T>, TReduce>(new MemorySource<T>(x), null, 0, length);

    /// <summary>
    /// As <see cref="Cascade{T, TReduce}"/> over elements [start, start + length) of <paramref name="x"/>, read a
    /// leaf at a time (into <paramref name="buffer"/>, <see cref="CascadeLeaf"/> elements, where x evaluates them).
    /// </summary>
    // A level is stored before it is read (its bit of the leaf count is set).
    [MethodImpl(MethodImplOptions.AggressiveOptimization), SkipLocalsInit]
    internal static T Cascade<T, TSource, TReduce>(in TSource x, T* buffer, long start, long length)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TSource : struct, IReduceSource<T>
        where TReduce : struct, IReduction
    {
        int lanes = Vector<T>.Count;
        long whole = length - (length % lanes), leaves = whole / CascadeLeaf, offset = 0;
        // A level per bit of the count of leaves.
        Span<Vector<T>> levels = stackalloc Vector<T>[65 - BitOperations.LeadingZeroCount((ulong)leaves)];
        for (long leaf = 0; leaf < leaves; leaf++, offset += CascadeLeaf)
        {
            var value = Leaf<T, TReduce>(x.Read(buffer, start + offset, CascadeLeaf), CascadeLeaf);
            int level = 0;
            for (; ((leaf >> level) & 1) != 0; level++)
                value = TReduce.Combine(levels[level], value);
            levels[level] = value;
        }
        int last = (int)(whole - offset);
        var v = Leaf<T, TReduce>(x.Read(buffer, start + offset, last), last);
        for (int level = 0; (leaves >> level) != 0; level++)
        {
            if (((leaves >> level) & 1) != 0)
                v = TReduce.Combine(levels[level], v);
        }
        T result = TReduce.Identity<T>();
        for (int lane = 0; lane < lanes; lane++)
            result = TReduce.Combine(result, v[lane]);
        int rest = (int)(length - whole);
        T* tail = x.Read(buffer, start + whole, rest);
        for (int i = 0; i < rest; i++)
            result = TReduce.Combine(result, tail[i]);
        return result;
    }

    /// <summary>⊕ lane by lane of up to <see cref="CascadeLeaf"/> elements, a whole number of vectors.</summary>
    // A call of its own: inlined twice into the cascade, its loop ran slower on rows of a thousand elements.
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static Vector<T> Leaf<T, TReduce>(T* x, int length)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TReduce : struct, IReduction
    {
        int lanes = Vector<T>.Count;
        var identity = new Vector<T>(TReduce.Identity<T>());
        Vector<T> a0 = identity, a1 = identity, a2 = identity, a3 = identity;
        int i = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.Count == 2 * lanes)
        {
            // 512-bit loads where Vector<T> is 256 bits: each streams a whole cache line.
            i = length - (length % (4 * Vector512<T>.Count));
            var wide = Wide<T, TReduce>(x, i);
            a0 = TReduce.Combine(wide.GetLower().AsVector(), wide.GetUpper().AsVector());
        }
        for (; i <= length - (4 * lanes); i += 4 * lanes)
        {
            a0 = TReduce.Combine(a0, Vector.Load(x + i));
            a1 = TReduce.Combine(a1, Vector.Load(x + i + lanes));
            a2 = TReduce.Combine(a2, Vector.Load(x + i + (2 * lanes)));
            a3 = TReduce.Combine(a3, Vector.Load(x + i + (3 * lanes)));
        }
        for (; i < length; i += lanes)
            a0 = TReduce.Combine(a0, Vector.Load(x + i));
        return TReduce.Combine(TReduce.Combine(a0, a1), TReduce.Combine(a2, a3));
    }

    /// <summary>⊕ lane by lane, in four 512-bit accumulators, of <paramref name="length"/> elements (a multiple of four vectors).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Wide<T, TReduce>(T* x, int length)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TReduce : struct, IReduction
    {
        int lanes = Vector512<T>.Count;
        var a0 = Vector512.Create(TReduce.Identity<T>());
        Vector512<T> a1 = a0, a2 = a0, a3 = a0;
        for (int i = 0; i < length; i += 4 * lanes)
        {
            a0 = TReduce.Combine(a0, Vector512.Load(x + i));
            a1 = TReduce.Combine(a1, Vector512.Load(x + i + lanes));
            a2 = TReduce.Combine(a2, Vector512.Load(x + i + (2 * lanes)));
            a3 = TReduce.Combine(a3, Vector512.Load(x + i + (3 * lanes)));
        }
        return TReduce.Combine(TReduce.Combine(a0, a1), TReduce.Combine(a2, a3));
    }
}

/// <summary>
/// Chunked rows: items are the segments v = (row, s) of
/// <see cref="CpuRoutines.ReduceRows{T, TSource, TReduce, TPost}"/>.
/// </summary>
internal readonly unsafe struct RowsBody<T, TSource, TReduce, TPost>(
    TSource x, Address<T> y, long n, long segment, long segments, TPost post) : ICpuBody
    where T : unmanaged, IFloatingPointIeee754<T>
    where TSource : struct, IReduceSource<T>
    where TReduce : struct, IReduction
    where TPost : struct, IUnaryOperator
{
    public void Run(long start, long count) =>
        CpuRoutines.ReduceRows<T, TSource, TReduce, TPost>(x, y, start, count, n, segment, segments, post);
}

/// <summary>
/// Chunked columns: items are (o, s, block of columns) of
/// <see cref="CpuRoutines.ReduceColumns{T, TSource, TReduce, TPost}"/>.
/// </summary>
internal readonly unsafe struct ColumnsBody<T, TSource, TReduce, TPost>(
    TSource x, Address<T> y, long n, long inner, long segment, long segments, TPost post) : ICpuBody
    where T : unmanaged, IFloatingPointIeee754<T>
    where TSource : struct, IReduceSource<T>
    where TReduce : struct, IReduction
    where TPost : struct, IUnaryOperator
{
    public void Run(long start, long count) =>
        CpuRoutines.ReduceColumns<T, TSource, TReduce, TPost>(x, y, start, count, n, inner, segment, segments, post);
}
