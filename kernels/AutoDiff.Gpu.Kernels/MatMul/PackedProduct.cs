using System.Runtime.Intrinsics;

namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// How the CPU accelerator computes <c>C = alpha·op(A)·op(B) + beta·C</c>: as C′ = L·R, L (Rows × Depth) and
/// R (Depth × Columns) read through element strides, so no transpose is copied. L and R are op(A) and op(B), or
/// op(B)ᵀ and op(A)ᵀ with C′ = Cᵀ (<see cref="Swapped"/>) where that pads fewer columns to the register tile (a
/// product with fewer rows than columns, or one column). Work items are blocks of <see cref="ItemRows"/> ×
/// <see cref="ItemColumns"/> of C′.
/// </summary>
/// <param name="Rows">Rows of C′.</param>
/// <param name="Columns">Columns of C′.</param>
/// <param name="Depth">The summed dimension, K.</param>
/// <param name="LeftRow">Elements between L[i, p] and L[i + 1, p].</param>
/// <param name="LeftDepth">Elements between L[i, p] and L[i, p + 1].</param>
/// <param name="RightColumn">Elements between R[p, j] and R[p, j + 1].</param>
/// <param name="RightDepth">Elements between R[p, j] and R[p + 1, j].</param>
/// <param name="OutRow">Elements between C′[i, j] and C′[i + 1, j].</param>
/// <param name="OutColumn">Elements between C′[i, j] and C′[i, j + 1].</param>
/// <param name="ItemRows">Rows of C′ per work item, a multiple of the register tile's.</param>
/// <param name="ItemColumns">Columns of C′ per work item, a multiple of the register tile's.</param>
/// <param name="VectorBits">The width of the register tile's vectors: 512, 256 or 128.</param>
/// <param name="Swapped">1 where L = op(B)ᵀ, R = op(A)ᵀ and C′ = Cᵀ, else 0.</param>
internal readonly record struct PackedProduct(
    int Rows, int Columns, int Depth,
    long LeftRow, long LeftDepth, long RightColumn, long RightDepth, long OutRow, long OutColumn,
    int ItemRows, int ItemColumns, int VectorBits, int Swapped)
{
    /// <summary>Work items along a row of blocks.</summary>
    public int ItemsAcross => (Columns + ItemColumns - 1) / ItemColumns;

    /// <summary>Work items in all.</summary>
    public long Items => (long)((Rows + ItemRows - 1) / ItemRows) * ItemsAcross;

    /// <summary>Whether L's rows are contiguous, so that its panels are packed row by row.</summary>
    public bool LeftByRows => LeftDepth == 1;

    /// <summary>The widest vectors this CPU runs natively: 512, 256 or 128 bits.</summary>
    public static int NativeVectorBits =>
        Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : 128;

    /// <summary>
    /// The plan of a product of geometry <paramref name="g"/> (K &gt; 0) on <paramref name="threads"/> threads: swapped
    /// where that pads less, and split into about two items per thread, the split that packs the fewest elements.
    /// </summary>
    public static PackedProduct Of<T>(MatMulGeometry g, int threads, int vectorBits)
        where T : unmanaged
    {
        int tileRows = CpuRoutines.TileRows(vectorBits), tileColumns = CpuRoutines.TileColumns<T>(vectorBits);
        long aRow = g.ARow, aDepth = g.ADepth, bColumn = g.BColumn, bDepth = g.BDepth;
        // Only a wide product or a column swaps: C′'s rows are then C's columns, stored one element at a time.
        bool swap = (g.M < g.N || g.N == 1)
            && (long)RoundUp(g.M, tileColumns) * g.N < (long)g.M * RoundUp(g.N, tileColumns);
        int rows = swap ? g.N : g.M, columns = swap ? g.M : g.N;
        int tilesDown = (rows + tileRows - 1) / tileRows, tilesAcross = (columns + tileColumns - 1) / tileColumns;
        int target = threads <= 1 ? 1 : 2 * threads;
        // Each item packs its rows of L once per column panel and its columns of R once: the fewest copies for the
        // items wanted.
        (int down, int across, long items, long copies) best = (1, 1, 1, long.MaxValue);
        for (int down = 1; down <= Math.Min(target, tilesDown); down++)
        {
            int across = Math.Min(tilesAcross, (target + down - 1) / down);
            int perDown = (tilesDown + down - 1) / down, perAcross = (tilesAcross + across - 1) / across;
            long items = (long)((tilesDown + perDown - 1) / perDown) * ((tilesAcross + perAcross - 1) / perAcross);
            long copies = ((long)across * rows) + ((long)down * columns);
            long busy = Math.Min(items, target), bestBusy = Math.Min(best.items, target);
            if (busy > bestBusy || (busy == bestBusy && copies < best.copies))
                best = (down, across, items, copies);
        }
        int itemRows = (tilesDown + best.down - 1) / best.down * tileRows;
        int itemColumns = (tilesAcross + best.across - 1) / best.across * tileColumns;
        return swap
            ? new(rows, columns, g.K, bColumn, bDepth, aRow, aDepth, 1, g.N, itemRows, itemColumns, vectorBits, 1)
            : new(rows, columns, g.K, aRow, aDepth, bColumn, bDepth, g.N, 1, itemRows, itemColumns, vectorBits, 0);
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}
