using System.Numerics;
using System.Runtime.CompilerServices;
using ILGPU;

namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// Reductions of a contiguous tensor viewed as (outer, n, inner) over its middle axis into (outer, inner),
/// with an elementwise <c>post</c> operator on each result (a scale for a mean). "Rows" kernels take
/// inner = 1 (the last axis, and all elements as one row); "columns" kernels take inner &gt; 1 with threads
/// across inner, so loads stay coalesced. Either may split the reduced axis into segments that write
/// partial results for a second pass (the launcher's choice when outer alone cannot fill the accelerator):
/// no atomics, so results are deterministic.
/// </summary>
internal static class ReduceKernels
{
    /// <summary>Largest group of a rows kernel (the shared array's size).</summary>
    public const int MaxGroup = 512;

    /// <summary>
    /// One group per segment of a row, grid-stride over the <paramref name="rows"/>·<paramref name="segments"/>
    /// segments: segment s of row o covers elements [s·segment, min(n, (s+1)·segment)) and writes
    /// <c>y[o·segments + s] = post(⊕ x)</c>. Threads accumulate packs lane by lane —
    /// <see cref="ElementwiseKernels.Unroll"/> packs a group's size apart (coalesced) loaded together and combined
    /// pairwise before they join the thread's accumulator — then the group halves in shared memory (the group
    /// size is a power of two). n and segment are in elements, multiples of the lanes.
    /// </summary>
    public static void ReduceRowsPacked<T, TPack, TReduce, TPost>(
        ArrayView<TPack> x, ArrayView<T> y, long rows, long n, long segment, long segments, TPost post)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TPack : unmanaged, IPack<TPack, T>
        where TReduce : struct, IReduction
        where TPost : struct, IUnaryOperator
    {
        var shared = SharedMemory.Allocate<T>(MaxGroup);
        Rows<T, TPack, ViewPacks<TPack>, TReduce, TPost>(shared, new(x), y, rows, n, segment, segments, post);
    }

    /// <summary>The body of <see cref="ReduceRowsPacked"/>, over the packs of any source.</summary>
    public static void Rows<T, TPack, TSource, TReduce, TPost>(
        ArrayView<T> shared, TSource x, ArrayView<T> y, long rows, long n, long segment, long segments, TPost post)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TPack : unmanaged, IPack<TPack, T>
        where TSource : struct, IPackSource<TPack>
        where TReduce : struct, IReduction
        where TPost : struct, IUnaryOperator
    {
        int thread = Group.IdxX;
        int lanes = TPack.Lanes;
        long total = rows * segments;
        for (long v = Grid.IdxX; v < total; v += Grid.DimX)
        {
            long row = v / segments;
            long s = v - (row * segments);
            long begin = s * segment;
            long length = Math.Min(segment, n - begin) / lanes;
            long first = ((row * n) + begin) / lanes;
            long step = Group.DimX;
            var acc = TPack.Splat(TReduce.Identity<T>());
            long p = first + thread, end = first + length;
            for (; p + (3 * step) < end; p += ElementwiseKernels.Unroll * step)
            {
                // Four loads in flight, combined pairwise: no load waits on an addition.
                TPack x0 = x.Load(p), x1 = x.Load(p + step), x2 = x.Load(p + (2 * step)), x3 = x.Load(p + (3 * step));
                acc = TPack.Combine<TReduce>(acc, TPack.Combine<TReduce>(TPack.Combine<TReduce>(x0, x1), TPack.Combine<TReduce>(x2, x3)));
            }
            for (; p < end; p += step)
                acc = TPack.Combine<TReduce>(acc, x.Load(p));
            T result = GroupReduce<T, TReduce>(shared, TPack.Fold<TReduce>(acc));
            if (thread == 0)
                y[v] = post.Apply(result);
        }
    }

    /// <summary>
    /// Grid-stride over (o, s, c) with c a pack of columns: <c>y[o, s, c] = post(⊕ x[o, j, c])</c> for j in
    /// segment s, [s·segment, min(n, (s+1)·segment)), <see cref="ElementwiseKernels.Unroll"/> rows loaded
    /// together and combined pairwise before they join the accumulator. inner (in elements) is a multiple of the lanes.
    /// </summary>
    public static void ReduceColumnsPacked<T, TPack, TReduce, TPost>(
        ArrayView<TPack> x, ArrayView<TPack> y, long outer, long n, long inner, long segment, long segments, TPost post)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TPack : unmanaged, IPack<TPack, T>
        where TReduce : struct, IReduction
        where TPost : struct, IUnaryOperator =>
        Columns<T, TPack, ViewPacks<TPack>, TReduce, TPost>(new(x), y, outer, n, inner, segment, segments, post);

    /// <summary>The body of <see cref="ReduceColumnsPacked"/>, over the packs of any source.</summary>
    public static void Columns<T, TPack, TSource, TReduce, TPost>(
        TSource x, ArrayView<TPack> y, long outer, long n, long inner, long segment, long segments, TPost post)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TPack : unmanaged, IPack<TPack, T>
        where TSource : struct, IPackSource<TPack>
        where TReduce : struct, IReduction
        where TPost : struct, IUnaryOperator
    {
        long columns = inner / TPack.Lanes;
        long items = outer * segments * columns;
        long stride = ElementwiseKernels.GridStride();
        for (long i = Grid.GlobalIndex.X; i < items; i += stride)
        {
            long rest = i / columns;
            long column = i - (rest * columns);
            long o = rest / segments;
            long s = rest - (o * segments);
            long begin = s * segment;
            long end = Math.Min(n, begin + segment);
            var acc = TPack.Splat(TReduce.Identity<T>());
            long index = (((o * n) + begin) * columns) + column;
            long j = begin;
            for (; j + 3 < end; j += ElementwiseKernels.Unroll)
            {
                TPack x0 = x.Load(index), x1 = x.Load(index + columns);
                TPack x2 = x.Load(index + (2 * columns)), x3 = x.Load(index + (3 * columns));
                acc = TPack.Combine<TReduce>(acc, TPack.Combine<TReduce>(TPack.Combine<TReduce>(x0, x1), TPack.Combine<TReduce>(x2, x3)));
                index += ElementwiseKernels.Unroll * columns;
            }
            for (; j < end; j++)
            {
                acc = TPack.Combine<TReduce>(acc, x.Load(index));
                index += columns;
            }
            y[i] = TPack.Map(acc, ref post);
        }
    }

    /// <summary>
    /// TReduce over the group's values by halving in shared memory; every thread gets the result. The group
    /// size is a power of two, at most <see cref="MaxGroup"/>.
    /// </summary>
    private static T GroupReduce<T, TReduce>(ArrayView<T> shared, T value)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TReduce : struct, IReduction
    {
        int thread = Group.IdxX;
        shared[thread] = value;
        Group.Barrier();
        for (int width = Group.DimX / 2; width > 0; width /= 2)
        {
            if (thread < width)
                shared[thread] = TReduce.Combine(shared[thread], shared[thread + width]);
            Group.Barrier();
        }
        T result = shared[0];
        Group.Barrier();
        return result;
    }
}
