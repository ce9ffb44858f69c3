using System.Buffers;
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
        int tileRows = TSimd.TileRows, tileColumns = 2 * TSimd.Lanes;
        int panelColumns = PanelColumns<T>(plan.VectorBits), panelRows = LeftPanelTiles * tileRows;
        // Partial sums live in C's place between panels of depth: one tile when there is one panel.
        bool onePanel = plan.Depth <= PanelDepth;
        int blockColumns = Math.Min(panelColumns, RoundUp(plan.ItemColumns, tileColumns));
        int scratchSize = onePanel ? tileRows * tileColumns : RoundUp(plan.ItemRows, tileRows) * blockColumns;
        const int Align = 64;
        int pad = Align / sizeof(T);
        T[] leftPanel = ArrayPool<T>.Shared.Rent((panelRows * PanelRowStride) + pad);
        T[] rightPanel = ArrayPool<T>.Shared.Rent((PanelDepth * panelColumns) + pad);
        T[] scratchArray = ArrayPool<T>.Shared.Rent(scratchSize + pad);
        try
        {
            fixed (T* l0 = leftPanel, r0 = rightPanel, s0 = scratchArray)
            {
                var packed = new Packed<T>(Aligned(l0, Align), Aligned(r0, Align), Aligned(s0, Align));
                for (long item = start; item < start + count; item++)
                {
                    int row0 = (int)(item / plan.ItemsAcross) * plan.ItemRows;
                    int column0 = (int)(item % plan.ItemsAcross) * plan.ItemColumns;
                    int row1 = Math.Min(plan.Rows, row0 + plan.ItemRows);
                    int column1 = Math.Min(plan.Columns, column0 + plan.ItemColumns);
                    for (int jc = column0; jc < column1; jc += panelColumns)
                    {
                        int width = Math.Min(panelColumns, column1 - jc);
                        for (int pc = 0; pc < plan.Depth; pc += PanelDepth)
                        {
                            int depth = Math.Min(PanelDepth, plan.Depth - pc);
                            PackRight<T, TVector, TSimd>(right, plan, packed.Right, jc, width, pc, depth);
                            for (int ic = row0; ic < row1; ic += panelRows)
                            {
                                int height = Math.Min(panelRows, row1 - ic);
                                PackLeft<T, TVector, TSimd>(left, plan, packed.Left, ic, height, pc, depth);
                                // The panel's partial sums: tile (t, s) at ((ic − row0)/tileRows + t)·slivers + s.
                                int slivers = (width + tileColumns - 1) / tileColumns;
                                long first = onePanel ? -1 : (long)(ic - row0) / tileRows * slivers;
                                bool last = pc + depth == plan.Depth;
                                var block = new TileBlock(ic, jc, height, width, depth, pc == 0, last, first);
                                Tiles<T, TVector, TSimd>(packed, block, c, plan, alpha, beta);
                            }
                        }
                    }
                }
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(leftPanel);
            ArrayPool<T>.Shared.Return(rightPanel);
            ArrayPool<T>.Shared.Return(scratchArray);
        }
    }

    /// <summary>
    /// Every register tile of a packed left panel against every sliver of the packed right panel: accumulates each
    /// tile into its partial sums (the scratch), then on the last panel of depth stores alpha·sum + beta·C.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tiles<T, TVector, TSimd>(
        Packed<T> packed, TileBlock block, T* c, PackedProduct plan, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TSimd : struct, ITileSimd<T, TVector>
    {
        int tileRows = TSimd.TileRows, tileColumns = 2 * TSimd.Lanes, tileSize = tileRows * tileColumns;
        int slivers = (block.Width + tileColumns - 1) / tileColumns;
        int tiles = (block.Height + tileRows - 1) / tileRows;
        for (int s = 0; s < slivers; s++)
        {
            T* sliver = packed.Right + (s * tileColumns * PanelDepth);
            int columns = Math.Min(tileColumns, block.Width - (s * tileColumns));
            for (int t = 0; t < tiles; t++)
            {
                int rows = Math.Min(tileRows, block.Height - (t * tileRows));
                T* tile = block.FirstTile < 0
                    ? packed.Scratch
                    : packed.Scratch + ((block.FirstTile + (t * slivers) + s) * tileSize);
                T* panel = packed.Left + (t * tileRows * PanelRowStride);
                if (plan.LeftByRows)
                    RegisterTile<T, TVector, TSimd, PanelByRows>(rows, panel, sliver, tile, block.Depth, !block.First);
                else
                    RegisterTile<T, TVector, TSimd, PanelByDepth>(rows, panel, sliver, tile, block.Depth, !block.First);
                if (block.Last)
                {
                    int i0 = block.Row + (t * tileRows), j0 = block.Column + (s * tileColumns);
                    Finish(tile, tileColumns, c, plan, (i0, rows), (j0, columns), alpha, beta);
                }
            }
        }
    }

    /// <summary>
    /// Packs rows [i0, i0 + height) × depths [p0, p0 + depth) of the left operand in register tiles of rows, each
    /// <see cref="PanelRowStride"/>·rows elements: by rows (row r of a tile at r·PanelRowStride) when the operand's
    /// rows are contiguous, else by depth (depth p at p·rows); rows past the operand are zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackLeft<T, TVector, TSimd>(
        T* left, PackedProduct plan, T* packed, int i0, int height, int p0, int depth)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TSimd : struct, ITileSimd<T, TVector>
    {
        int tileRows = TSimd.TileRows;
        for (int t = 0; t * tileRows < height; t++)
        {
            T* target = packed + (t * tileRows * PanelRowStride);
            int first = i0 + (t * tileRows), rows = Math.Min(tileRows, height - (t * tileRows));
            if (plan.LeftByRows)
            {
                for (int r = 0; r < tileRows; r++)
                {
                    var row = new Span<T>(target + (r * PanelRowStride), depth);
                    if (r < rows)
                        new ReadOnlySpan<T>(left + ((first + r) * plan.LeftRow) + p0, depth).CopyTo(row);
                    else
                        row.Clear();
                }
                continue;
            }
            T* source = left + (first * plan.LeftRow) + (p0 * plan.LeftDepth);
            if (rows == tileRows && plan.LeftRow == 1)
            {
                // A constant size: the copy compiles to a few vector moves.
                for (int p = 0; p < depth; p++, source += plan.LeftDepth, target += tileRows)
                    Unsafe.CopyBlockUnaligned(target, source, (uint)(TSimd.TileRows * sizeof(T)));
                continue;
            }
            for (int p = 0; p < depth; p++, source += plan.LeftDepth, target += tileRows)
            {
                int r = 0;
                for (; r < rows; r++)
                    target[r] = source[r * plan.LeftRow];
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
    private static void PackRight<T, TVector, TSimd>(
        T* right, PackedProduct plan, T* packed, int j0, int width, int p0, int depth)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TSimd : struct, ITileSimd<T, TVector>
    {
        int tileColumns = 2 * TSimd.Lanes;
        for (int s = 0; s * tileColumns < width; s++)
        {
            T* target = packed + (s * tileColumns * PanelDepth);
            int first = j0 + (s * tileColumns), columns = Math.Min(tileColumns, width - (s * tileColumns));
            T* source = right + (first * plan.RightColumn) + (p0 * plan.RightDepth);
            if (plan.RightColumn == 1 && columns == tileColumns)
            {
                for (int p = 0; p < depth; p++, source += plan.RightDepth, target += tileColumns)
                {
                    TSimd.Store(TSimd.Load(source), target);
                    TSimd.Store(TSimd.Load(source + TSimd.Lanes), target + TSimd.Lanes);
                }
                continue;
            }
            if (plan.RightColumn == 1)
            {
                for (int p = 0; p < depth; p++, source += plan.RightDepth, target += tileColumns)
                {
                    new ReadOnlySpan<T>(source, columns).CopyTo(new Span<T>(target, columns));
                    new Span<T>(target + columns, tileColumns - columns).Clear();
                }
                continue;
            }
            // Columns of a column-major operand: each column's depths are contiguous.
            for (int j = 0; j < columns; j++)
            {
                T* from = source + (j * plan.RightColumn), to = target + j;
                for (int p = 0; p < depth; p++, to += tileColumns)
                    *to = from[p * plan.RightDepth];
            }
            for (int p = 0; p < depth && columns < tileColumns; p++)
                new Span<T>(target + (p * tileColumns) + columns, tileColumns - columns).Clear();
        }
    }

    /// <summary>Stores alpha·sum + beta·C for the rows × columns of a finished tile, from C′[i0, j0] on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Finish<T>(
        T* tile, int tileColumns, T* c, PackedProduct plan, (int I0, int Count) down, (int J0, int Count) across,
        T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (i0, rows) = down;
        var (j0, columns) = across;
        int lanes = Vector<T>.Count;
        bool vectors = plan.OutColumn == 1 && columns == tileColumns && tileColumns % lanes == 0;
        for (int r = 0; r < rows; r++, tile += tileColumns)
        {
            T* target = c + ((i0 + r) * plan.OutRow) + (j0 * plan.OutColumn);
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
                Store(target + (j * plan.OutColumn), tile[j], alpha, beta);
        }
    }

    /// <summary>Rows [start, start + count) of a small product: a dot product per element, as the packed one adds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SmallMatMul<T>(T* a, T* b, T* c, MatMulGeometry g, T alpha, T beta, long start, long count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Element strides of op(A)[i, p] and op(B)[p, j] along each index.
        long ai = g.TransposeA != 0 ? 1 : g.K, ap = g.TransposeA != 0 ? g.M : 1;
        long bp = g.TransposeB != 0 ? 1 : g.N, bj = g.TransposeB != 0 ? g.K : 1;
        for (long i = start; i < start + count; i++)
        {
            T* target = c + (i * g.N);
            int j = 0;
            // Four columns at a time: four independent chains of multiply-adds hide their latency.
            for (; j + 4 <= g.N; j += 4)
            {
                T* x = a + (i * ai);
                T* y = b + (j * bj);
                T s0 = T.Zero, s1 = T.Zero, s2 = T.Zero, s3 = T.Zero;
                for (int p = 0; p < g.K; p++, x += ap, y += bp)
                {
                    T v = *x;
                    s0 = T.FusedMultiplyAdd(v, y[0], s0);
                    s1 = T.FusedMultiplyAdd(v, y[bj], s1);
                    s2 = T.FusedMultiplyAdd(v, y[2 * bj], s2);
                    s3 = T.FusedMultiplyAdd(v, y[3 * bj], s3);
                }
                Store(target + j, s0, alpha, beta);
                Store(target + j + 1, s1, alpha, beta);
                Store(target + j + 2, s2, alpha, beta);
                Store(target + j + 3, s3, alpha, beta);
            }
            for (; j < g.N; j++)
            {
                T* x = a + (i * ai);
                T* y = b + (j * bj);
                T sum = T.Zero;
                for (int p = 0; p < g.K; p++, x += ap, y += bp)
                    sum = T.FusedMultiplyAdd(*x, *y, sum);
                Store(target + j, sum, alpha, beta);
            }
        }
    }

    /// <summary>c = alpha·sum + beta·c; beta = 0 never reads c.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T>(T* c, T sum, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        *c = beta == T.Zero ? alpha * sum : (alpha * sum) + (beta * *c);

    /// <summary>The first address at or after <paramref name="pointer"/> on a multiple of <paramref name="bytes"/>.
    /// </summary>
    private static T* Aligned<T>(T* pointer, int bytes)
        where T : unmanaged =>
        (T*)(((nint)pointer + bytes - 1) & ~(nint)(bytes - 1));

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}

/// <summary>Chunked packed product: items are blocks of C (see <see cref="CpuRoutines.MatMul{T}"/>).</summary>
internal readonly unsafe struct MatMulBody<T>(
    Address<T> left, Address<T> right, Address<T> c, PackedProduct plan, T alpha, T beta) : ICpuBody
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public void Run(long start, long count) => CpuRoutines.MatMul<T>(left, right, c, plan, alpha, beta, start, count);
}

/// <summary>Chunked small product: items are rows of C (see <see cref="CpuRoutines.SmallMatMul{T}"/>).</summary>
internal readonly unsafe struct SmallMatMulBody<T>(
    Address<T> a, Address<T> b, Address<T> c, MatMulGeometry g, T alpha, T beta) : ICpuBody
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public void Run(long start, long count) => CpuRoutines.SmallMatMul<T>(a, b, c, g, alpha, beta, start, count);
}

/// <summary>The packed panels of a product's thread and its partial sums, each on a 64-byte boundary.</summary>
internal readonly unsafe struct Packed<T>(T* left, T* right, T* scratch)
    where T : unmanaged
{
    public T* Left { get; } = left;

    public T* Right { get; } = right;

    public T* Scratch { get; } = scratch;
}

/// <summary>
/// One packed left panel (rows [Row, Row + Height)) against one packed right panel (columns [Column, Column +
/// Width), one panel of Depth), whether it is the first and the last panel of depth, and the index of its first tile
/// among the item's partial sums (negative: one panel, one tile of scratch).
/// </summary>
internal readonly record struct TileBlock(
    int Row, int Column, int Height, int Width, int Depth, bool First, bool Last, long FirstTile);
