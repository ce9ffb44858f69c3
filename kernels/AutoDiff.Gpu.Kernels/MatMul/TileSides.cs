using System.Numerics;
using System.Runtime.CompilerServices;
using ILGPU;

// Tiles and register rows are plain data with public fields, and implement their interface's static members.
#pragma warning disable CA1051, CA1000

namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// One operand of a tiled product, A or B, as the tiles see it: a matrix of <see cref="Rows"/> rows (i of op(A), j of
/// op(B)) by K, stored along K or along its rows. <see cref="TileSide"/> maps element e of a staged tile to the
/// matrix (read along the stored matrix's contiguous axis, so a warp's loads coalesce) and to the shared tile.
/// </summary>
internal interface ITileSide
{
    /// <summary>Whether the stored matrix is contiguous along K (A stored M×K, B stored N×K), else along its rows.</summary>
    static abstract bool DepthContiguous(MatMulGeometry g);

    /// <summary>Rows of the side: M for A, N for B.</summary>
    static abstract int Rows(MatMulGeometry g);

    /// <summary>Rows of a group's block: BlockM for A, BlockN for B.</summary>
    static abstract int BlockRows<TTile>() where TTile : struct, IMatMulTile;

    /// <summary>The first row of the block of the group at <paramref name="at"/>.</summary>
    static abstract int Origin(TilePlace at);

    /// <summary>Index of (row, depth) in the stored matrix: op(A)[i, p] or op(B)[p, j].</summary>
    static abstract long Index(MatMulGeometry g, int row, int depth);
}

/// <summary>
/// Where one element of a tile side lies: its index in the stored matrix (read only when <see cref="Row"/> and
/// <see cref="Depth"/> are inside it), its row (i of op(A), j of op(B)), its depth p and its slot in the shared tile.
/// A thread of <see cref="MatMulKernels.MatMulTiledPrefetch{T, TTile}"/> keeps the cursor of its first element and
/// reaches the others by <see cref="TileSteps"/>.
/// </summary>
internal struct TileCursor
{
    /// <summary>Index in the stored matrix.</summary>
    public long Index;

    /// <summary>Row of op(A) (i) or column of op(B) (j).</summary>
    public int Row;

    /// <summary>Position along K (p).</summary>
    public int Depth;

    /// <summary>Index in the shared tile.</summary>
    public int Slot;
}

/// <summary>
/// Per r, how far element e + r·threads of a tile side lies from element e — in the stored matrix
/// (<see cref="Index"/>), in rows, in depth and in the shared tile — and per step through K how far the matrix
/// index moves (<see cref="Advance"/>); <see cref="Rows"/> bounds the rows (M for A, N for B). Uniform across a group.
/// </summary>
internal readonly record struct TileSteps(long Index, int Row, int Depth, int Slot, long Advance, int Rows);

/// <summary>op(A): M rows; stored M×K (contiguous along K) unless TransposeA.</summary>
internal readonly struct TileA : ITileSide
{
    /// <inheritdoc/>
    public static bool DepthContiguous(MatMulGeometry g) => g.TransposeA == 0;

    /// <inheritdoc/>
    public static int Rows(MatMulGeometry g) => g.M;

    /// <inheritdoc/>
    public static int BlockRows<TTile>() where TTile : struct, IMatMulTile => TTile.BlockM;

    /// <inheritdoc/>
    public static int Origin(TilePlace at) => at.M0;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Index(MatMulGeometry g, int row, int depth) => g.IndexA(row, depth);
}

/// <summary>op(B): N rows (its columns); stored N×K (contiguous along K) when TransposeB, else K×N.</summary>
internal readonly struct TileB : ITileSide
{
    /// <inheritdoc/>
    public static bool DepthContiguous(MatMulGeometry g) => g.TransposeB != 0;

    /// <inheritdoc/>
    public static int Rows(MatMulGeometry g) => g.N;

    /// <inheritdoc/>
    public static int BlockRows<TTile>() where TTile : struct, IMatMulTile => TTile.BlockN;

    /// <inheritdoc/>
    public static int Origin(TilePlace at) => at.N0;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Index(MatMulGeometry g, int row, int depth) => g.IndexB(depth, row);
}

/// <summary>
/// The staging of one tile side (<see cref="ITileSide"/>) in the register-tile kernels: element e of a group's
/// tile at a step is row r, depth p of the block (e runs along the stored matrix's contiguous axis first), staged as
/// shared[p·Padded(BlockRows) + r] (the matrix-unit kernel places it in its own layout).
/// </summary>
internal static class TileSide
{
    /// <summary>Elements of the shared tile.</summary>
    public static int Elements<TTile, TSide>()
        where TTile : struct, IMatMulTile
        where TSide : struct, ITileSide =>
        TTile.BlockK * TSide.BlockRows<TTile>();

    /// <summary>Element e of the tile at step k0 of the group at <paramref name="at"/>; zero outside the matrix.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Element<T, TTile, TSide>(ArrayView<T> matrix, MatMulGeometry g, TilePlace at, int k0, int e)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TTile : struct, IMatMulTile
        where TSide : struct, ITileSide
    {
        Place<TTile, TSide>(g, e, out int r, out int kk);
        int row = TSide.Origin(at) + r, p = k0 + kk;
        return row < TSide.Rows(g) && p < g.K ? matrix[TSide.Index(g, row, p)] : T.Zero;
    }

    /// <summary>Stores element e of the tile at its place in the shared tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Put<T, TTile, TSide>(ArrayView<T> shared, MatMulGeometry g, int e, T value)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TTile : struct, IMatMulTile
        where TSide : struct, ITileSide
    {
        Place<TTile, TSide>(g, e, out int r, out int kk);
        shared[(kk * MatMulKernels.Padded(TSide.BlockRows<TTile>())) + r] = value;
    }

    /// <summary>Where element <paramref name="thread"/> of the tile at step 0 of the group at <paramref name="at"/> lies.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TileCursor Cursor<TTile, TSide>(MatMulGeometry g, TilePlace at, int thread)
        where TTile : struct, IMatMulTile
        where TSide : struct, ITileSide
    {
        Place<TTile, TSide>(g, thread, out int r, out int kk);
        int row = TSide.Origin(at) + r;
        return new() { Index = TSide.Index(g, row, kk), Row = row, Depth = kk, Slot = (kk * MatMulKernels.Padded(TSide.BlockRows<TTile>())) + r };
    }

    /// <summary>
    /// How far element e + r·threads lies from element e (threads = <see cref="MatMulKernels.Threads{TTile}"/>, a
    /// multiple of the tile's extents), and how far one step through K moves an element in the matrix.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TileSteps Steps<TTile, TSide>(MatMulGeometry g)
        where TTile : struct, IMatMulTile
        where TSide : struct, ITileSide
    {
        int threads = MatMulKernels.Threads<TTile>(), blockRows = TSide.BlockRows<TTile>(), rows = TSide.Rows(g);
        // Contiguous along K: e runs along K first, so r moves down the rows; else e runs along the rows first, so r
        // moves down K.
        return TSide.DepthContiguous(g)
            ? new((long)(threads / TTile.BlockK) * g.K, threads / TTile.BlockK, 0, threads / TTile.BlockK, TTile.BlockK, rows)
            : new((long)(threads / blockRows) * rows, 0, threads / blockRows, threads / blockRows * MatMulKernels.Padded(blockRows), (long)TTile.BlockK * rows, rows);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Place<TTile, TSide>(MatMulGeometry g, int e, out int row, out int depth)
        where TTile : struct, IMatMulTile
        where TSide : struct, ITileSide
    {
        if (TSide.DepthContiguous(g))
        {
            row = e / TTile.BlockK;
            depth = e - (row * TTile.BlockK);
        }
        else
        {
            depth = e / TSide.BlockRows<TTile>();
            row = e - (depth * TSide.BlockRows<TTile>());
        }
    }
}
