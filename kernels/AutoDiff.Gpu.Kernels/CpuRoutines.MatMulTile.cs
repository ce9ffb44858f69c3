using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AutoDiff.Gpu.Kernels;

/// <summary>Rows a register tile computes: a constant per struct, so unused accumulators compile away.</summary>
internal interface ITileRows
{
    static abstract int Count { get; }
}

internal struct TileRows1 : ITileRows
{
    public static int Count => 1;
}

internal struct TileRows2 : ITileRows
{
    public static int Count => 2;
}

internal struct TileRows4 : ITileRows
{
    public static int Count => 4;
}

internal struct TileRows6 : ITileRows
{
    public static int Count => 6;
}

internal struct TileRows8 : ITileRows
{
    public static int Count => 8;
}

internal struct TileRows12 : ITileRows
{
    public static int Count => 12;
}

/// <summary>
/// How a packed panel of the left operand is laid out: by rows (each row's depth contiguous, rows
/// <see cref="CpuRoutines.PanelRowStride"/> apart: packing copies rows of a row-major operand) or by depth (the tile's
/// rows contiguous at each depth: packing copies columns of a column-major one).
/// </summary>
internal interface IPanelLayout
{
    static abstract bool ByRows { get; }
}

internal struct PanelByRows : IPanelLayout
{
    public static bool ByRows => true;
}

internal struct PanelByDepth : IPanelLayout
{
    public static bool ByRows => false;
}

internal static unsafe partial class CpuRoutines
{
    /// <summary>
    /// The register tile: <paramref name="tile"/> (rows × 2 vectors, row-major) = (<paramref name="load"/> ? tile : 0)
    /// + a·b over <paramref name="depth"/>, a the packed left panel, b the packed right sliver (2 vectors a depth).
    /// Each element is one chain of fused multiply-adds in depth order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RegisterTile<T, TVector, TSimd, TRows, TLayout>(T* a, T* b, T* tile, int depth, bool load)
        where T : unmanaged
        where TVector : struct
        where TSimd : struct, ITileSimd<T, TVector>
        where TRows : struct, ITileRows
        where TLayout : struct, IPanelLayout
    {
        int l = TSimd.Lanes, w = 2 * l;
        // Where row r of the panel is at depth 0, and how far one depth moves.
        int r1 = TLayout.ByRows ? PanelRowStride : 1, step = TLayout.ByRows ? 1 : TSimd.TileRows;
        TVector c00 = TSimd.Zero, c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        TVector c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;
        TVector c80 = c00, c81 = c00, c90 = c00, c91 = c00, ca0 = c00, ca1 = c00, cb0 = c00, cb1 = c00;
        if (load)
        {
            c00 = TSimd.Load(tile);
            c01 = TSimd.Load(tile + l);
            if (TRows.Count > 1)
            {
                c10 = TSimd.Load(tile + w);
                c11 = TSimd.Load(tile + w + l);
            }
            if (TRows.Count > 2)
            {
                c20 = TSimd.Load(tile + (2 * w));
                c21 = TSimd.Load(tile + (2 * w) + l);
            }
            if (TRows.Count > 3)
            {
                c30 = TSimd.Load(tile + (3 * w));
                c31 = TSimd.Load(tile + (3 * w) + l);
            }
            if (TRows.Count > 4)
            {
                c40 = TSimd.Load(tile + (4 * w));
                c41 = TSimd.Load(tile + (4 * w) + l);
            }
            if (TRows.Count > 5)
            {
                c50 = TSimd.Load(tile + (5 * w));
                c51 = TSimd.Load(tile + (5 * w) + l);
            }
            if (TRows.Count > 6)
            {
                c60 = TSimd.Load(tile + (6 * w));
                c61 = TSimd.Load(tile + (6 * w) + l);
            }
            if (TRows.Count > 7)
            {
                c70 = TSimd.Load(tile + (7 * w));
                c71 = TSimd.Load(tile + (7 * w) + l);
            }
            if (TRows.Count > 8)
            {
                c80 = TSimd.Load(tile + (8 * w));
                c81 = TSimd.Load(tile + (8 * w) + l);
            }
            if (TRows.Count > 9)
            {
                c90 = TSimd.Load(tile + (9 * w));
                c91 = TSimd.Load(tile + (9 * w) + l);
            }
            if (TRows.Count > 10)
            {
                ca0 = TSimd.Load(tile + (10 * w));
                ca1 = TSimd.Load(tile + (10 * w) + l);
            }
            if (TRows.Count > 11)
            {
                cb0 = TSimd.Load(tile + (11 * w));
                cb1 = TSimd.Load(tile + (11 * w) + l);
            }
        }
        for (int p = 0; p < depth; p++, a += step, b += w)
        {
            TVector b0 = TSimd.Load(b), b1 = TSimd.Load(b + l), x;
            x = TSimd.Broadcast(a);
            c00 = TSimd.MultiplyAdd(x, b0, c00);
            c01 = TSimd.MultiplyAdd(x, b1, c01);
            if (TRows.Count > 1)
            {
                x = TSimd.Broadcast(a + r1);
                c10 = TSimd.MultiplyAdd(x, b0, c10);
                c11 = TSimd.MultiplyAdd(x, b1, c11);
            }
            if (TRows.Count > 2)
            {
                x = TSimd.Broadcast(a + (2 * r1));
                c20 = TSimd.MultiplyAdd(x, b0, c20);
                c21 = TSimd.MultiplyAdd(x, b1, c21);
            }
            if (TRows.Count > 3)
            {
                x = TSimd.Broadcast(a + (3 * r1));
                c30 = TSimd.MultiplyAdd(x, b0, c30);
                c31 = TSimd.MultiplyAdd(x, b1, c31);
            }
            if (TRows.Count > 4)
            {
                x = TSimd.Broadcast(a + (4 * r1));
                c40 = TSimd.MultiplyAdd(x, b0, c40);
                c41 = TSimd.MultiplyAdd(x, b1, c41);
            }
            if (TRows.Count > 5)
            {
                x = TSimd.Broadcast(a + (5 * r1));
                c50 = TSimd.MultiplyAdd(x, b0, c50);
                c51 = TSimd.MultiplyAdd(x, b1, c51);
            }
            if (TRows.Count > 6)
            {
                x = TSimd.Broadcast(a + (6 * r1));
                c60 = TSimd.MultiplyAdd(x, b0, c60);
                c61 = TSimd.MultiplyAdd(x, b1, c61);
            }
            if (TRows.Count > 7)
            {
                x = TSimd.Broadcast(a + (7 * r1));
                c70 = TSimd.MultiplyAdd(x, b0, c70);
                c71 = TSimd.MultiplyAdd(x, b1, c71);
            }
            if (TRows.Count > 8)
            {
                x = TSimd.Broadcast(a + (8 * r1));
                c80 = TSimd.MultiplyAdd(x, b0, c80);
                c81 = TSimd.MultiplyAdd(x, b1, c81);
            }
            if (TRows.Count > 9)
            {
                x = TSimd.Broadcast(a + (9 * r1));
                c90 = TSimd.MultiplyAdd(x, b0, c90);
                c91 = TSimd.MultiplyAdd(x, b1, c91);
            }
            if (TRows.Count > 10)
            {
                x = TSimd.Broadcast(a + (10 * r1));
                ca0 = TSimd.MultiplyAdd(x, b0, ca0);
                ca1 = TSimd.MultiplyAdd(x, b1, ca1);
            }
            if (TRows.Count > 11)
            {
                x = TSimd.Broadcast(a + (11 * r1));
                cb0 = TSimd.MultiplyAdd(x, b0, cb0);
                cb1 = TSimd.MultiplyAdd(x, b1, cb1);
            }
        }
        TSimd.Store(c00, tile);
        TSimd.Store(c01, tile + l);
        if (TRows.Count > 1)
        {
            TSimd.Store(c10, tile + w);
            TSimd.Store(c11, tile + w + l);
        }
        if (TRows.Count > 2)
        {
            TSimd.Store(c20, tile + (2 * w));
            TSimd.Store(c21, tile + (2 * w) + l);
        }
        if (TRows.Count > 3)
        {
            TSimd.Store(c30, tile + (3 * w));
            TSimd.Store(c31, tile + (3 * w) + l);
        }
        if (TRows.Count > 4)
        {
            TSimd.Store(c40, tile + (4 * w));
            TSimd.Store(c41, tile + (4 * w) + l);
        }
        if (TRows.Count > 5)
        {
            TSimd.Store(c50, tile + (5 * w));
            TSimd.Store(c51, tile + (5 * w) + l);
        }
        if (TRows.Count > 6)
        {
            TSimd.Store(c60, tile + (6 * w));
            TSimd.Store(c61, tile + (6 * w) + l);
        }
        if (TRows.Count > 7)
        {
            TSimd.Store(c70, tile + (7 * w));
            TSimd.Store(c71, tile + (7 * w) + l);
        }
        if (TRows.Count > 8)
        {
            TSimd.Store(c80, tile + (8 * w));
            TSimd.Store(c81, tile + (8 * w) + l);
        }
        if (TRows.Count > 9)
        {
            TSimd.Store(c90, tile + (9 * w));
            TSimd.Store(c91, tile + (9 * w) + l);
        }
        if (TRows.Count > 10)
        {
            TSimd.Store(ca0, tile + (10 * w));
            TSimd.Store(ca1, tile + (10 * w) + l);
        }
        if (TRows.Count > 11)
        {
            TSimd.Store(cb0, tile + (11 * w));
            TSimd.Store(cb1, tile + (11 * w) + l);
        }
    }

    /// <summary>The register tile for <paramref name="rows"/> rows (at most the width's): the fewest covering them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RegisterTile<T, TVector, TSimd, TLayout>(int rows, T* a, T* b, T* tile, int depth, bool load)
        where T : unmanaged
        where TVector : struct
        where TSimd : struct, ITileSimd<T, TVector>
        where TLayout : struct, IPanelLayout
    {
        switch (rows)
        {
            case 1:
                RegisterTile<T, TVector, TSimd, TileRows1, TLayout>(a, b, tile, depth, load);
                break;
            case 2:
                RegisterTile<T, TVector, TSimd, TileRows2, TLayout>(a, b, tile, depth, load);
                break;
            case 3 or 4:
                RegisterTile<T, TVector, TSimd, TileRows4, TLayout>(a, b, tile, depth, load);
                break;
            case 5 or 6:
                RegisterTile<T, TVector, TSimd, TileRows6, TLayout>(a, b, tile, depth, load);
                break;
            case 7 or 8:
                RegisterTile<T, TVector, TSimd, TileRows8, TLayout>(a, b, tile, depth, load);
                break;
            default:
                RegisterTile<T, TVector, TSimd, TileRows12, TLayout>(a, b, tile, depth, load);
                break;
        }
    }
}
