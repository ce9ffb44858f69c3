using System.Numerics;
using System.Runtime.CompilerServices;
using ILGPU;

namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// The position of the greatest or least element along the middle axis of x viewed as (outer, n, inner), as NumPy's
/// argmax and argmin: the first such element, or the first NaN where the line has one. Optionally each position is
/// compared with a label instead of written (a classifier's hits, for accuracy).
/// </summary>
internal static class ArgReduceKernels
{
    /// <summary>
    /// Grid-stride over the outer·inner lines: <c>indices[o·inner + r]</c> = the position along j of the line
    /// x[o, ·, r]; with <paramref name="compare"/> 1, <c>hits[o·inner + r]</c> = 1 where that position equals
    /// <c>labels[o·inner + r]</c>, else 0, and indices is not written. The views a mode does not use are never read or
    /// written (a launcher passes another view of the same type for them, never an empty one).
    /// </summary>
    public static void ArgReduce<T>(ArrayView<T> x, ArrayView<int> indices, ArrayView<int> labels, ArrayView<T> hits, ArgGeometry geometry, int compare)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long lines = geometry.Outer * geometry.Inner;
        long stride = ElementwiseKernels.GridStride();
        for (long i = Grid.GlobalIndex.X; i < lines; i += stride)
        {
            int index = geometry.Scan<T, ViewElements<T>>(new ViewElements<T>(x), i);
            if (compare != 0)
                hits[i] = index == labels[i] ? T.One : T.Zero;
            else
                indices[i] = index;
        }
    }
}

/// <summary>
/// argmax and argmin of long rows (inner = 1) on GPUs: one group per row, grid-stride over the rows. Each thread scans
/// the row's elements a group apart (coalesced), keeping its best (value, position); the group then halves the pairs in
/// shared memory. A pair beats another when it is a NaN and the other is not, or is greater (less), or is equal (both
/// NaN) at a smaller position: the first extreme, or the first NaN, whatever the group size.
/// </summary>
internal static class ArgReduceRowKernels
{
    /// <summary>As <see cref="ArgReduceKernels.ArgReduce{T}"/> for inner = 1, a group a row.</summary>
    public static void ArgReduceRows<T>(ArrayView<T> x, ArrayView<int> indices, ArrayView<int> labels, ArrayView<T> hits, ArgGeometry geometry, int compare)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var values = SharedMemory.Allocate<T>(ReduceKernels.MaxGroup);
        var positions = SharedMemory.Allocate<int>(ReduceKernels.MaxGroup);
        int thread = Group.IdxX;
        long n = geometry.Length;
        bool minimum = geometry.Minimum != 0;
        for (long row = Grid.IdxX; row < geometry.Outer; row += Grid.DimX)
        {
            long start = row * n;
            T best = T.Zero;
            int at = -1;
            for (long j = thread; j < n; j += Group.DimX)
            {
                T v = x[start + j];
                if (Beats(v, (int)j, best, at, minimum))
                    (best, at) = (v, (int)j);
            }
            values[thread] = best;
            positions[thread] = at;
            Group.Barrier();
            for (int width = Group.DimX / 2; width > 0; width /= 2)
            {
                if (thread < width && Beats(values[thread + width], positions[thread + width], values[thread], positions[thread], minimum))
                {
                    values[thread] = values[thread + width];
                    positions[thread] = positions[thread + width];
                }
                Group.Barrier();
            }
            if (thread == 0)
            {
                if (compare != 0)
                    hits[row] = positions[0] == labels[row] ? T.One : T.Zero;
                else
                    indices[row] = positions[0];
            }
            Group.Barrier();
        }
    }

    /// <summary>Whether (v, i) beats (w, j); a position of −1 is no element and beats nothing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Beats<T>(T v, int i, T w, int j, bool minimum)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (i < 0)
            return false;
        if (j < 0)
            return true;
        bool vNaN = T.IsNaN(v), wNaN = T.IsNaN(w);
        if (vNaN || wNaN)
            return vNaN && (!wNaN || i < j);
        if (minimum ? v < w : v > w)
            return true;
        return v == w && i < j;
    }
}

/// <summary>Reads element i of an operand: a view in GPU kernels, an address in the CPU accelerator's loops.</summary>
internal interface IElements<T>
    where T : unmanaged
{
    /// <summary>Element <paramref name="i"/>.</summary>
    T this[long i] { get; }
}

/// <summary>The elements of a view.</summary>
internal readonly struct ViewElements<T>(ArrayView<T> view) : IElements<T>
    where T : unmanaged
{
    /// <inheritdoc/>
    public T this[long i]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => view[i];
    }
}

/// <summary>The elements at an address (the CPU accelerator's chunked loops).</summary>
internal readonly unsafe struct PointerElements<T>(Address<T> address) : IElements<T>
    where T : unmanaged
{
    public T this[long i] => ((T*)address)[i];
}

/// <summary>The geometry of an argmax or argmin: x is (Outer, Length, Inner), Length ≥ 1. A kernel argument.</summary>
/// <param name="Outer">Lines before the reduced axis.</param>
/// <param name="Length">Length of the reduced axis.</param>
/// <param name="Inner">Elements after the reduced axis.</param>
/// <param name="Minimum">1 for argmin, 0 for argmax.</param>
internal readonly record struct ArgGeometry(long Outer, long Length, long Inner, int Minimum)
{
    /// <summary>The position of the first greatest (least) element of line <paramref name="line"/> (o·inner + r), or of its first NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Scan<T, TElements>(TElements x, long line)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TElements : struct, IElements<T>
    {
        long o = line / Inner;
        long start = (o * Length * Inner) + (line - (o * Inner));
        T best = x[start];
        int index = 0;
        if (T.IsNaN(best))
            return 0;
        long offset = start;
        for (int j = 1; j < Length; j++)
        {
            offset += Inner;
            T v = x[offset];
            if (T.IsNaN(v))
                return j;
            if (Minimum != 0 ? v < best : v > best)
            {
                best = v;
                index = j;
            }
        }
        return index;
    }
}

/// <summary>Chunked argmax or argmin (see <see cref="ArgReduceKernels.ArgReduce{T}"/>): items are lines.</summary>
internal readonly unsafe struct ArgReduceBody<T>(Address<T> x, Address<int> indices, Address<int> labels, Address<T> hits, ArgGeometry geometry) : ICpuBody
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public void Run(long start, long count)
    {
        int* labelsAt = labels;
        for (long i = start; i < start + count; i++)
        {
            int index = geometry.Scan<T, PointerElements<T>>(new PointerElements<T>(x), i);
            if (labelsAt != null)
                ((T*)hits)[i] = index == labelsAt[i] ? T.One : T.Zero;
            else
                ((int*)indices)[i] = index;
        }
    }
}
