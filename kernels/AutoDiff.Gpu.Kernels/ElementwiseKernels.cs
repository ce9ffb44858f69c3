using System.Numerics;
using System.Runtime.CompilerServices;
using ILGPU;

namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// The elementwise kernels, specialised by operator structs, in two launch styles (see <see cref="KernelStyle"/>):
/// contiguous (same-shape) maps and zips, the "rows" and "columns" broadcasts of a 2-D launch, and the general
/// strided form that serves any broadcast, transpose, slice or scatter. Every kernel is explicitly grouped and
/// correct for any grid.
/// </summary>
public static unsafe class ElementwiseKernels
{
    // The CPU accelerator calls chunked kernels as plain .NET methods: AggressiveOptimization skips the
    // tier-0 JIT, whose loop code runs at about half speed.

    /// <summary>
    /// Chunked <c>y[i] = op(a[i], b[i])</c>: thread t takes elements [t·chunk, (t+1)·chunk) through raw
    /// pointers. A map is this kernel with b = a and <see cref="UnaryAsBinary{TOp}"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ZipChunked<T, TOp>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> y, long chunk, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IBinaryOperator
    {
        if (!ChunkOf(y.Length, chunk, out long start, out long count))
            return;
        fixed (T* pa = &a[start])
        fixed (T* pb = &b[start])
        fixed (T* py = &y[start])
        {
            for (long i = 0; i < count; i++)
                py[i] = op.Apply(pa[i], pb[i]);
        }
    }

    /// <summary>Chunked <c>y[i] = value</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void FillChunked<T>(ArrayView<T> y, T value, long chunk)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!ChunkOf(y.Length, chunk, out long start, out long count))
            return;
        fixed (T* py = &y[start])
        {
            for (long i = 0; i < count; i++)
                py[i] = value;
        }
    }

    /// <summary>
    /// Chunked strided <c>y[C(i)] = op(a[A(i)], b[B(i)])</c> over the launch's elements i (row-major): thread t
    /// takes elements [t·chunk, (t+1)·chunk) and walks them with an odometer, no division per element.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ZipStridedChunked<T, TOp>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> y, StridedLayout layout, long chunk, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IBinaryOperator
    {
        if (!ChunkOf(layout.Count, chunk, out long start, out long count))
            return;
        fixed (T* pa = &a[0])
        fixed (T* pb = &b[0])
        fixed (T* py = &y[0])
            CpuRoutines.Strided(pa, pb, py, layout, start, count, op);
    }

    /// <summary>
    /// Chunked strided <c>y[C(i)] = op(a[A(i)], b[B(i)])</c> in square tiles of the two innermost dimensions
    /// (transposes): thread t takes tiles [t·chunk, (t+1)·chunk).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ZipTilesChunked<T, TOp>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> y, StridedLayout layout, long tiles, long chunk, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IBinaryOperator
    {
        if (!ChunkOf(tiles, chunk, out long start, out long count))
            return;
        fixed (T* pa = &a[0])
        fixed (T* pb = &b[0])
        fixed (T* py = &y[0])
            CpuRoutines.StridedTiles(pa, pb, py, layout, start, count, op);
    }

    /// <summary>
    /// Packed grid-stride <c>y[i] = op(a[i], b[i])</c>: threads walk the packs with the grid's stride
    /// (coalesced), then the first threads take the tail elements that do not fill a pack. A map passes b = a
    /// and <see cref="UnaryAsBinary{TOp}"/>: the unused loads of b are dead code.
    /// </summary>
    public static void ZipPacked<T, TPack, TOp>(
        ArrayView<TPack> a, ArrayView<TPack> b, ArrayView<TPack> y, ArrayView<T> aTail, ArrayView<T> bTail, ArrayView<T> yTail, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TPack : unmanaged, IPack<TPack, T>
        where TOp : struct, IBinaryOperator
    {
        long first = Grid.GlobalIndex.X;
        long stride = GridStride();
        for (long i = first; i < y.Length; i += stride)
            y[i] = TPack.Zip(a[i], b[i], op);
        for (long t = first; t < yTail.Length; t += stride)
            yTail[t] = op.Apply(aTail[t], bTail[t]);
    }

    /// <summary>Packed grid-stride <c>y[i] = value</c>.</summary>
    public static void FillPacked<T, TPack>(ArrayView<TPack> y, ArrayView<T> yTail, T value)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TPack : unmanaged, IPack<TPack, T>
    {
        long first = Grid.GlobalIndex.X;
        long stride = GridStride();
        var pack = TPack.Splat(value);
        for (long i = first; i < y.Length; i += stride)
            y[i] = pack;
        for (long t = first; t < yTail.Length; t += stride)
            yTail[t] = value;
    }

    /// <summary>
    /// Packed broadcast of a 2-D launch with <paramref name="columns"/> packs per row: <c>y[r, c] = op(a[r, c], b)</c>
    /// where b is <c>rowB[c]</c> when rowB is given — the "rows" pattern, (M, N) with (N,) — else
    /// <c>columnB[r]</c> in every lane — the "columns" pattern, (M, N) with (M, 1), and a scalar when M = 1.
    /// Without a (empty), a is b: a broadcast map passes <see cref="UnaryAsBinary{TOp}"/>. Each thread tracks
    /// its row and column as it strides by the grid's size, which is <paramref name="stepRows"/> rows and
    /// <paramref name="stepColumns"/> columns (computed by the launcher: ILGPU would recompute a division in the loop).
    /// </summary>
    public static void BroadcastPacked<T, TPack, TOp>(
        ArrayView<TPack> a, ArrayView<TPack> rowB, ArrayView<T> columnB, ArrayView<TPack> y, long columns, long stepRows, long stepColumns, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TPack : unmanaged, IPack<TPack, T>
        where TOp : struct, IBinaryOperator
    {
        long first = Grid.GlobalIndex.X;
        long stride = GridStride();
        long row = first / columns;
        long column = first - (row * columns);
        bool rows = rowB.Length > 0;
        bool full = a.Length > 0;
        for (long i = first; i < y.Length; i += stride)
        {
            var b = rows ? rowB[column] : TPack.Splat(columnB[row]);
            y[i] = TPack.Zip(full ? a[i] : b, b, op);
            row += stepRows;
            column += stepColumns;
            if (column >= columns)
            {
                column -= columns;
                row++;
            }
        }
    }

    /// <summary>
    /// Grid-stride strided <c>y[C(i)] = op(a[A(i)], b[B(i)])</c>: NumPy broadcasting of any rank, transposes,
    /// slices with steps, and read-modify-write into a strided output. A strided map passes b = a and
    /// <see cref="UnaryAsBinary{TOp}"/>.
    /// </summary>
    public static void ZipStrided<T, TOp>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> y, StridedLayout layout, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IBinaryOperator
    {
        long stride = GridStride();
        for (long i = Grid.GlobalIndex.X; i < layout.Count; i += stride)
        {
            layout.Offsets(i, out long oa, out long ob, out long oy);
            y[oy] = op.Apply(a[oa], b[ob]);
        }
    }

    /// <summary>The chunk of thread <c>Grid.GlobalIndex.X</c> among <paramref name="n"/> work items; false when it has none.</summary>
    internal static bool ChunkOf(long n, long chunk, out long start, out long count)
    {
        start = Grid.GlobalIndex.X * chunk;
        count = chunk < n - start ? chunk : n - start;
        return start < n;
    }

    /// <summary>Threads in the grid.</summary>
    internal static long GridStride() => (long)Grid.DimX * Group.DimX;
}
