using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ILGPU;

namespace AutoDiff.Gpu.Kernels;

internal static unsafe partial class CpuRoutines
{
    /// <summary>Depth of one packed panel: a right sliver of it (2 vectors wide) fills two thirds of a 48 KB L1.
    /// </summary>
    public const int PanelDepth = 256;

    /// <summary>
    /// Elements between rows of a left panel packed by rows: a little more than its depth, so that a tile's rows do not
    /// fall on the same L1 bank at every depth.
    /// </summary>
    public const int PanelRowStride = PanelDepth + 1;

    /// <summary>Products of at most this many multiply-adds skip the packing, which costs more than they do.</summary>
    public const long SmallProduct = 8192;

    /// <summary>Bytes of the packed right panel, which the tiles of a left panel share from L2.</summary>
    private const int RightPanelBytes = 512 * 1024;

    /// <summary>Row tiles in one packed left panel (it stays in L2 while the right slivers pass).</summary>
    private const int LeftPanelTiles = 12;

    /// <summary>
    /// Items [start, start + count) of the packed product <paramref name="plan"/> (see <see cref="PackedProduct"/>):
    /// per item, per panel of columns and of depth, the right operand is packed into slivers two vectors wide, then
    /// per panel of rows the left operand, and register tiles accumulate each element of C as one chain of fused
    /// multiply-adds in depth order, from 0, whatever the split; then alpha·sum + beta·C is stored.
    /// </summary>
    public static void MatMul<T>(T* left, T* right, T* c, PackedProduct plan, T alpha, T beta, long start, long count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (plan.VectorBits)
        {
            case 512:
                Product<T, Vector512<T>, TileSimd512<T>>(left, right, c, plan, alpha, beta, start, count);
                break;
            case 256:
                Product<T, Vector256<T>, TileSimd256<T>>(left, right, c, plan, alpha, beta, start, count);
                break;
            default:
                Product<T, Vector128<T>, TileSimd128<T>>(left, right, c, plan, alpha, beta, start, count);
                break;
        }
    }

    /// <summary>Rows of a register tile of <paramref name="vectorBits"/>-bit vectors.</summary>
    public static int TileRows(int vectorBits) =>
        vectorBits == 512 ? TileSimd512<float>.TileRows : TileSimd256<float>.TileRows;

    /// <summary>Columns of a register tile of <paramref name="vectorBits"/>-bit vectors: two vectors.</summary>
    public static int TileColumns<T>(int vectorBits)
        where T : unmanaged =>
        2 * vectorBits / 8 / sizeof(T);

    /// <summary>Columns of one packed right panel.</summary>
    public static int PanelColumns<T>(int vectorBits)
        where T : unmanaged =>
        Math.Max(1, RightPanelBytes / PanelDepth / sizeof(T) / TileColumns<T>(vectorBits)) * TileColumns<T>(vectorBits);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Product<T, TVector, TSimd>(
        T* left, T* right, T* c, PackedProduct plan, T alpha, T beta, long start, long count)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TSimd : struct, ITileSimd<T, TVector>
    {
        var l = new StridedPanels<T>(left, plan.LeftRow, plan.LeftDepth);
        var r = new StridedPanels<T>(right, plan.RightColumn, plan.RightDepth);
        var sink = new StridedSink<T>(c, plan.OutRow, plan.OutColumn, alpha, beta);
        long scratch = ScratchSize<T>(plan.ItemRows, plan.ItemColumns, plan.Depth, plan.VectorBits);
        using var panels = new Panels<T>(scratch, 0);
        for (long item = start; item < start + count; item++)
        {
            int row0 = (int)(item / plan.ItemsAcross) * plan.ItemRows;
            int column0 = (int)(item % plan.ItemsAcross) * plan.ItemColumns;
            var bounds = new BlockBounds(
                row0, Math.Min(plan.Rows, row0 + plan.ItemRows), column0,
                Math.Min(plan.Columns, column0 + plan.ItemColumns), plan.Depth);
            Block<T, TVector, TSimd, StridedPanels<T>, StridedPanels<T>, StridedSink<T>>(
                panels.Packed, l, r, sink, bounds);
        }
    }

    /// <summary>
    /// Packs rows [i0, i0 + height) × depths [p0, p0 + depth) of the left operand in register tiles of rows, each
    /// <see cref="PanelRowStride"/>·rows elements: by rows (row r of a tile at r·PanelRowStride) when the operand's
    /// rows are contiguous, else by depth (depth p at p·rows); rows past the operand are zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PackLeft<T, TVector, TSimd>(
        T* left, long leftRow, long leftDepth, T* packed, int i0, int height, int p0, int depth)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TSimd : struct, ITileSimd<T, TVector>
    {
        int tileRows = TSimd.TileRows;
        for (int t = 0; t * tileRows < height; t++)
        {
            T* target = packed + (t * tileRows * PanelRowStride);
            int first = i0 + (t * tileRows), rows = Math.Min(tileRows, height - (t * tileRows));
            if (leftDepth == 1)
            {
                for (int r = 0; r < tileRows; r++)
                {
                    var row = new Span<T>(target + (r * PanelRowStride), depth);
                    if (r < rows)
                        new ReadOnlySpan<T>(left + ((first + r) * leftRow) + p0, depth).CopyTo(row);
                    else
                        row.Clear();
                }
                continue;
            }
            T* source = left + (first * leftRow) + (p0 * leftDepth);
            if (rows == tileRows && leftRow == 1)
            {
                // A constant size: the copy compiles to a few vector moves.
                for (int p = 0; p < depth; p++, source += leftDepth, target += tileRows)
                    Unsafe.CopyBlockUnaligned(target, source, (uint)(TSimd.TileRows * sizeof(T)));
                continue;
            }
            for (int p = 0; p < depth; p++, source += leftDepth, target += tileRows)
            {
                int r = 0;
                for (; r < rows; r++)
                    target[r] = source[r * leftRow];
                for (; r < tileRows; r++)
                    target[r] = T.Zero;
            }
        }
    }

    /// <summary>
    /// Packs depths [p0, p0 + depth) × columns [j0, j0 + width) of the right operand in slivers of a register tile's
    /// columns (two vectors), each PanelDepth·columns elements, depth p's columns contiguous; columns past the
    /// operand are zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PackRight<T, TVector, TSimd>(
        T* right, long rightColumn, long rightDepth, T* packed, int j0, int width, int p0, int depth)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TSimd : struct, ITileSimd<T, TVector>
    {
        int tileColumns = 2 * TSimd.Lanes;
        for (int s = 0; s * tileColumns < width; s++)
        {
            T* target = packed + (s * tileColumns * PanelDepth);
            int first = j0 + (s * tileColumns), columns = Math.Min(tileColumns, width - (s * tileColumns));
            T* source = right + (first * rightColumn) + (p0 * rightDepth);
            if (rightColumn == 1 && columns == tileColumns)
            {
                for (int p = 0; p < depth; p++, source += rightDepth, target += tileColumns)
                {
                    TSimd.Store(TSimd.Load(source), target);
                    TSimd.Store(TSimd.Load(source + TSimd.Lanes), target + TSimd.Lanes);
                }
                continue;
            }
            if (rightColumn == 1)
            {
                for (int p = 0; p < depth; p++, source += rightDepth, target += tileColumns)
                {
                    new ReadOnlySpan<T>(source, columns).CopyTo(new Span<T>(target, columns));
                    new Span<T>(target + columns, tileColumns - columns).Clear();
                }
                continue;
            }
            // Columns of a column-major operand: each column's depths are contiguous, a transpose in registers.
            if (rightDepth == 1)
            {
                Transpose(source, rightColumn, columns, depth, target, tileColumns);
            }
            else
            {
                for (int j = 0; j < columns; j++)
                {
                    T* from = source + (j * rightColumn), to = target + j;
                    for (int p = 0; p < depth; p++, to += tileColumns)
                        *to = from[p * rightDepth];
                }
            }
            for (int p = 0; p < depth && columns < tileColumns; p++)
                new Span<T>(target + (p * tileColumns) + columns, tileColumns - columns).Clear();
        }
    }

    /// <summary>Stores alpha·sum + beta·C for the rows × columns of a finished tile, from C′[i0, j0] on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Finish<T>(
        T* tile, int tileColumns, in StridedSink<T> sink, (int I0, int Count) down, (int J0, int Count) across)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (i0, rows) = down;
        var (j0, columns) = across;
        T alpha = sink.Alpha, beta = sink.Beta;
        int lanes = Vector<T>.Count;
        bool vectors = sink.Column == 1 && columns == tileColumns && tileColumns % lanes == 0;
        for (int r = 0; r < rows; r++, tile += tileColumns)
        {
            T* target = sink.C + ((i0 + r) * sink.Row) + (j0 * sink.Column);
            if (vectors)
            {
                var a = new Vector<T>(alpha);
                var b = new Vector<T>(beta);
                for (int j = 0; j < columns; j += lanes)
                {
                    var sum = Vector.Load(tile + j);
                    // The scalar Store's arithmetic, lane by lane: the same bits.
                    Vector.Store(beta == T.Zero ? a * sum : (a * sum) + (b * Vector.Load(target + j)), target + j);
                }
                continue;
            }
            for (int j = 0; j < columns; j++)
                Store(target + (j * sink.Column), tile[j], alpha, beta);
        }
    }

    /// <summary>c = alpha·sum + beta·c; beta = 0 never reads c.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T>(T* c, T sum, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        *c = beta == T.Zero ? alpha * sum : (alpha * sum) + (beta * *c);

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}

/// <summary>Chunked packed product: items are blocks of C (see <see cref="CpuRoutines.MatMul{T}"/>).</summary>
internal readonly unsafe struct MatMulBody<T>(
    Address<T> left, Address<T> right, Address<T> c, PackedProduct plan, T alpha, T beta) : ICpuBody
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public void Run(long start, long count) => CpuRoutines.MatMul<T>(left, right, c, plan, alpha, beta, start, count);
}
