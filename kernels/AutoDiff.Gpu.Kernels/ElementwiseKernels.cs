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
internal static class ElementwiseKernels
{
    /// <summary>
    /// Packs each thread of a packed grid-stride kernel loads before it computes or stores any: a step covers
    /// packs i, i + s, i + 2s and i + 3s (s the grid's size, so every load stays coalesced), and its independent
    /// loads are in flight together (with one element in flight per thread, maps on an H200 moved 2.9 of its 4.8
    /// TB/s).
    /// </summary>
    public const int Unroll = 4;

    /// <summary>
    /// Packed grid-stride <c>y[i] = op(a[i], b[i])</c>: threads walk the packs with the grid's stride
    /// (coalesced), <see cref="Unroll"/> packs a step (all loads, then the operators, then the stores), the packs
    /// left over one at a time; then the first threads take the tail elements that do not fill a pack. A map
    /// passes b = a and <see cref="UnaryAsBinary{TOp}"/>: the unused loads of b are dead code. y may be a or b:
    /// a thread stores only packs it has loaded.
    /// </summary>
    public static void ZipPacked<T, TPack, TOp>(
        ArrayView<TPack> a, ArrayView<TPack> b, ArrayView<TPack> y, ArrayView<T> aTail, ArrayView<T> bTail, ArrayView<T> yTail, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TPack : unmanaged, IPack<TPack, T>
        where TOp : struct, IBinaryOperator
    {
        long first = Grid.GlobalIndex.X;
        long stride = GridStride();
        long i = first;
        for (; i + (3 * stride) < y.Length; i += Unroll * stride)
        {
            long i1 = i + stride, i2 = i1 + stride, i3 = i2 + stride;
            TPack a0 = a[i], a1 = a[i1], a2 = a[i2], a3 = a[i3];
            TPack b0 = b[i], b1 = b[i1], b2 = b[i2], b3 = b[i3];
            y[i] = TPack.Zip(a0, b0, ref op);
            y[i1] = TPack.Zip(a1, b1, ref op);
            y[i2] = TPack.Zip(a2, b2, ref op);
            y[i3] = TPack.Zip(a3, b3, ref op);
        }
        for (; i < y.Length; i += stride)
            y[i] = TPack.Zip(a[i], b[i], ref op);
        for (long t = first; t < yTail.Length; t += stride)
            yTail[t] = op.Apply(aTail[t], bTail[t]);
    }

    /// <summary>Packed grid-stride <c>y[i] = value</c>, <see cref="Unroll"/> stores a step.</summary>
    public static void FillPacked<T, TPack>(ArrayView<TPack> y, ArrayView<T> yTail, T value)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TPack : unmanaged, IPack<TPack, T>
    {
        long first = Grid.GlobalIndex.X;
        long stride = GridStride();
        var pack = TPack.Splat(value);
        long i = first;
        for (; i + (3 * stride) < y.Length; i += Unroll * stride)
        {
            y[i] = pack;
            y[i + stride] = pack;
            y[i + (2 * stride)] = pack;
            y[i + (3 * stride)] = pack;
        }
        for (; i < y.Length; i += stride)
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
    /// <paramref name="stepColumns"/> columns (computed by the launcher: ILGPU would recompute a division in the
    /// loop), and loads <see cref="Unroll"/> packs of each operand before it computes and stores them.
    /// </summary>
    public static void BroadcastPacked<T, TPack, TOp>(
        ArrayView<TPack> a, ArrayView<TPack> rowB, ArrayView<T> columnB, ArrayView<TPack> y, long columns, long stepRows, long stepColumns, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TPack : unmanaged, IPack<TPack, T>
        where TOp : struct, IBinaryOperator
    {
        // One loop per pattern, so the loop body has no branch between its loads.
        if (rowB.Length > 0)
            BroadcastLoop<T, TPack, TOp, RowOperand<T, TPack>>(a, new(rowB), y, columns, stepRows, stepColumns, op);
        else
            BroadcastLoop<T, TPack, TOp, ColumnOperand<T, TPack>>(a, new(columnB), y, columns, stepRows, stepColumns, op);
    }

    /// <summary>The grid-stride loop of <see cref="BroadcastPacked{T, TPack, TOp}"/> for one broadcast pattern.</summary>
    private static void BroadcastLoop<T, TPack, TOp, TOperand>(
        ArrayView<TPack> a, TOperand b, ArrayView<TPack> y, long columns, long stepRows, long stepColumns, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TPack : unmanaged, IPack<TPack, T>
        where TOp : struct, IBinaryOperator
        where TOperand : struct, IBroadcastOperand<TPack>
    {
        long first = Grid.GlobalIndex.X;
        long stride = GridStride();
        long row = first / columns;
        long column = first - (row * columns);
        bool full = a.Length > 0;
        long i = first;
        for (; i + (3 * stride) < y.Length; i += Unroll * stride)
        {
            long i1 = i + stride, i2 = i1 + stride, i3 = i2 + stride;
            TPack b0 = b.Load(row, column);
            Advance(ref row, ref column, columns, stepRows, stepColumns);
            TPack b1 = b.Load(row, column);
            Advance(ref row, ref column, columns, stepRows, stepColumns);
            TPack b2 = b.Load(row, column);
            Advance(ref row, ref column, columns, stepRows, stepColumns);
            TPack b3 = b.Load(row, column);
            Advance(ref row, ref column, columns, stepRows, stepColumns);
            TPack a0 = full ? a[i] : b0, a1 = full ? a[i1] : b1, a2 = full ? a[i2] : b2, a3 = full ? a[i3] : b3;
            y[i] = TPack.Zip(a0, b0, ref op);
            y[i1] = TPack.Zip(a1, b1, ref op);
            y[i2] = TPack.Zip(a2, b2, ref op);
            y[i3] = TPack.Zip(a3, b3, ref op);
        }
        for (; i < y.Length; i += stride)
        {
            var b0 = b.Load(row, column);
            y[i] = TPack.Zip(full ? a[i] : b0, b0, ref op);
            Advance(ref row, ref column, columns, stepRows, stepColumns);
        }
    }

    /// <summary>(row, column) moved on by one grid stride: <paramref name="stepRows"/> rows and <paramref name="stepColumns"/> columns, with the carry.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Advance(ref long row, ref long column, long columns, long stepRows, long stepColumns)
    {
        row += stepRows;
        column += stepColumns;
        if (column >= columns)
        {
            column -= columns;
            row++;
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

    /// <summary>The broadcast operand of <see cref="BroadcastPacked{T, TPack, TOp}"/>: its pack at (row, column).</summary>
    private interface IBroadcastOperand<TPack>
    {
        /// <summary>The operand's pack at (row, column) of the launch.</summary>
        TPack Load(long row, long column);
    }

    /// <summary>The "rows" pattern: one row of packs, indexed by column.</summary>
    private readonly struct RowOperand<T, TPack>(ArrayView<TPack> packs) : IBroadcastOperand<TPack>
        where T : unmanaged, IFloatingPointIeee754<T>
        where TPack : unmanaged, IPack<TPack, T>
    {
        public TPack Load(long row, long column) => packs[column];
    }

    /// <summary>The "columns" pattern: one element per row in every lane.</summary>
    private readonly struct ColumnOperand<T, TPack>(ArrayView<T> elements) : IBroadcastOperand<TPack>
        where T : unmanaged, IFloatingPointIeee754<T>
        where TPack : unmanaged, IPack<TPack, T>
    {
        public TPack Load(long row, long column) => TPack.Splat(elements[row]);
    }
}
