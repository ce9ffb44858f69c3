using System.Numerics;
using System.Runtime.CompilerServices;
using ILGPU;

namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// The position of the greatest or least element along the middle axis of x viewed as (outer, n, inner), as NumPy's
/// argmax and argmin: the first such element, or the first NaN where the line has one. Optionally each position is
/// compared with a label instead of written (a classifier's hits, for accuracy).
/// </summary>
public static class ArgReduceKernels
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

/// <summary>Reads element i of an operand: a view in GPU kernels, an address in the CPU accelerator's loops.</summary>
public interface IElements<T>
    where T : unmanaged
{
    /// <summary>Element <paramref name="i"/>.</summary>
    T this[long i] { get; }
}

/// <summary>The elements of a view.</summary>
public readonly struct ViewElements<T>(ArrayView<T> view) : IElements<T>
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
public readonly record struct ArgGeometry(long Outer, long Length, long Inner, int Minimum)
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
