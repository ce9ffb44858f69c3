using System.Numerics;
using System.Runtime.CompilerServices;
using ILGPU;

namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// The GPU layout's elementwise kernels (<see cref="KernelStyle.Packed"/>), specialised by operator structs:
/// contiguous (same-shape) maps and zips, the "rows" and "columns" broadcasts of a 2-D launch, and the general
/// strided form that serves any broadcast, transpose, slice or scatter. Every kernel is explicitly grouped and
/// correct for any grid. The CPU layout's bodies are in <see cref="CpuRoutines"/>.
/// </summary>
public static class ElementwiseKernels
{
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

    /// <summary>Threads in the grid.</summary>
    internal static long GridStride() => (long)Grid.DimX * Group.DimX;
}
