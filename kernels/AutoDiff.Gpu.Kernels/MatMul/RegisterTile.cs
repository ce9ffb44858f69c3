using System.Numerics;
using System.Runtime.CompilerServices;
using ILGPU;

// Tiles and register rows are plain data with public fields, and implement their interface's static members.
#pragma warning disable CA1051, CA1000

namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// A thread's 8×8 block of C in registers, at its <see cref="TilePlace"/>: one <see cref="Row8{T}"/> per row.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
internal struct RegisterTile<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The rows.</summary>
    public Row8<T> R0, R1, R2, R3, R4, R5, R6, R7;

    /// <summary>
    /// tile + the product of the staged op(A) and op(B) tiles, one step of TTile's depth (a multiple of 4), four float32
    /// depths or two float64 ones an iteration: each thread's quads of A and of B are fixed offsets from four addresses
    /// that move once an iteration, so a shared load is one instruction. (With more depths an iteration the compiler
    /// hoists later depths' loads until the 8×8 tile's registers spill.)
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static RegisterTile<T> Accumulate<TTile>(RegisterTile<T> tile, ArrayView<Quad<T>> quadsA, ArrayView<Quad<T>> quadsB, TilePlace at)
        where TTile : struct, IMatMulTile
    {
        var fragments = new Fragments8(
            quadsA.SubView(at.RowA / 4), quadsA.SubView(at.RowB / 4), quadsB.SubView(at.ColumnA / 4), quadsB.SubView(at.ColumnB / 4));
        bool single = Interop.SizeOf<T>() == sizeof(float);
        int depths = single ? 4 : 2;
        for (int kk = depths; ; kk += depths)
        {
            tile = Depth<TTile>(tile, fragments, 0);
            tile = Depth<TTile>(tile, fragments, 1);
            if (single)
            {
                tile = Depth<TTile>(tile, fragments, 2);
                tile = Depth<TTile>(tile, fragments, 3);
            }
            // Views may not move past the tile's end, so the last iteration leaves them.
            if (kk >= TTile.BlockK)
                return tile;
            fragments = fragments.Advance(depths * MatMulKernels.Padded(TTile.BlockM) / 4, depths * MatMulKernels.Padded(TTile.BlockN) / 4);
        }
    }

    /// <summary>tile + the outer product of the staged tiles' fragments at depth <paramref name="kk"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static RegisterTile<T> Depth<TTile>(RegisterTile<T> tile, Fragments8 fragments, int kk)
        where TTile : struct, IMatMulTile
    {
        // Padded rows are multiples of 4 elements: whole quads.
        var av = Row8<T>.Load(fragments.RowA, fragments.RowB, kk * MatMulKernels.Padded(TTile.BlockM) / 4);
        var bv = Row8<T>.Load(fragments.ColumnA, fragments.ColumnB, kk * MatMulKernels.Padded(TTile.BlockN) / 4);
        tile.R0 = Row8<T>.MultiplyAdd(tile.R0, av.V0, bv);
        tile.R1 = Row8<T>.MultiplyAdd(tile.R1, av.V1, bv);
        tile.R2 = Row8<T>.MultiplyAdd(tile.R2, av.V2, bv);
        tile.R3 = Row8<T>.MultiplyAdd(tile.R3, av.V3, bv);
        tile.R4 = Row8<T>.MultiplyAdd(tile.R4, av.V4, bv);
        tile.R5 = Row8<T>.MultiplyAdd(tile.R5, av.V5, bv);
        tile.R6 = Row8<T>.MultiplyAdd(tile.R6, av.V6, bv);
        tile.R7 = Row8<T>.MultiplyAdd(tile.R7, av.V7, bv);
        return tile;
    }

    /// <summary>A thread's four quads of the shared tiles at one depth: its rows of A and its columns of B.</summary>
    private readonly record struct Fragments8(ArrayView<Quad<T>> RowA, ArrayView<Quad<T>> RowB, ArrayView<Quad<T>> ColumnA, ArrayView<Quad<T>> ColumnB)
    {
        /// <summary>The quads <paramref name="quadsA"/> and <paramref name="quadsB"/> further.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Fragments8 Advance(int quadsA, int quadsB) =>
            new(RowA.SubView(quadsA), RowB.SubView(quadsA), ColumnA.SubView(quadsB), ColumnB.SubView(quadsB));
    }

    /// <summary>C[i, j] = alpha·tile + beta·C[i, j] for the tile's rows and columns that lie inside C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Store(ArrayView<T> c, MatMulGeometry g, TilePlace at, T alpha, T beta)
    {
        int rowA = at.M0 + at.RowA, rowB = at.M0 + at.RowB, columnA = at.N0 + at.ColumnA, columnB = at.N0 + at.ColumnB;
        MatMulKernels.StoreRow(c, g, R0, rowA, columnA, columnB, alpha, beta);
        MatMulKernels.StoreRow(c, g, R1, rowA + 1, columnA, columnB, alpha, beta);
        MatMulKernels.StoreRow(c, g, R2, rowA + 2, columnA, columnB, alpha, beta);
        MatMulKernels.StoreRow(c, g, R3, rowA + 3, columnA, columnB, alpha, beta);
        MatMulKernels.StoreRow(c, g, R4, rowB, columnA, columnB, alpha, beta);
        MatMulKernels.StoreRow(c, g, R5, rowB + 1, columnA, columnB, alpha, beta);
        MatMulKernels.StoreRow(c, g, R6, rowB + 2, columnA, columnB, alpha, beta);
        MatMulKernels.StoreRow(c, g, R7, rowB + 3, columnA, columnB, alpha, beta);
    }
}
