using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace AutoDiff.Gpu.Kernels;

/// <summary>Packs panels of a product's left operand L (rows × depth) into register tiles of rows.</summary>
internal unsafe interface ILeftPanels<T>
    where T : unmanaged
{
    /// <summary>Whether a tile's rows are packed one after the other (else contiguous per depth).</summary>
    bool ByRows { get; }

    /// <summary>Packs rows [i0, i0 + height) × depths [p0, p0 + depth) (see <see cref="CpuRoutines"/>'s PackLeft).
    /// </summary>
    void Pack<TVector, TSimd>(T* packed, int i0, int height, int p0, int depth)
        where TVector : struct
        where TSimd : struct, ITileSimd<T, TVector>;
}

/// <summary>Packs panels of a product's right operand R (depth × columns) into slivers two vectors wide.</summary>
internal unsafe interface IRightPanels<T>
    where T : unmanaged
{
    /// <summary>Packs depths [p0, p0 + depth) × columns [j0, j0 + width) (see PackRight).</summary>
    void Pack<TVector, TSimd>(T* packed, int j0, int width, int p0, int depth)
        where TVector : struct
        where TSimd : struct, ITileSimd<T, TVector>;
}

/// <summary>Where a finished register tile of C′ goes.</summary>
internal unsafe interface ITileSink<T>
    where T : unmanaged
{
    /// <summary>Takes rows × columns of a tile (rows <paramref name="tileColumns"/> apart), from C′[i0, j0] on.
    /// </summary>
    void Store(T* tile, int tileColumns, (int I0, int Count) down, (int J0, int Count) across);
}

/// <summary>An operand in memory, read through element strides (row or column, and depth).</summary>
internal readonly unsafe struct StridedPanels<T>(T* origin, long across, long depth) : ILeftPanels<T>, IRightPanels<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public bool ByRows => depth == 1;

    void ILeftPanels<T>.Pack<TVector, TSimd>(T* packed, int i0, int height, int p0, int count) =>
        CpuRoutines.PackLeft<T, TVector, TSimd>(origin, across, depth, packed, i0, height, p0, count);

    void IRightPanels<T>.Pack<TVector, TSimd>(T* packed, int j0, int width, int p0, int count) =>
        CpuRoutines.PackRight<T, TVector, TSimd>(origin, across, depth, packed, j0, width, p0, count);
}

/// <summary>C′ in memory: C′[i, j], at C + i·Row + j·Column, becomes alpha·sum + beta·C′[i, j].</summary>
internal readonly unsafe struct StridedSink<T>(T* c, long row, long column, T alpha, T beta) : ITileSink<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public T* C => c;

    public long Row => row;

    public long Column => column;

    public T Alpha => alpha;

    public T Beta => beta;

    public void Store(T* tile, int tileColumns, (int I0, int Count) down, (int J0, int Count) across) =>
        CpuRoutines.Finish(tile, tileColumns, this, down, across);
}

/// <summary>Rows [Row0, Row1) × columns [Column0, Column1) of C′, summed over Depth.</summary>
internal readonly record struct BlockBounds(int Row0, int Row1, int Column0, int Column1, int Depth);

/// <summary>
/// A thread's packed panels, partial sums and a spare buffer of <c>extra</c> elements, each on a 64-byte boundary,
/// rented from the shared pool and pinned until disposed.
/// </summary>
internal unsafe struct Panels<T> : IDisposable
    where T : unmanaged
{
    private readonly T[] array;
    private GCHandle handle;

    public Panels(long scratch, long extra)
    {
        int pad = CpuLaunch.CacheLine / sizeof(T);
        long left = RoundUp((CpuRoutines.LeftPanelRows * CpuRoutines.PanelRowStride) + pad, pad);
        long right = RoundUp((CpuRoutines.PanelDepth * CpuRoutines.PanelColumns<T>(512)) + pad, pad);
        long sums = RoundUp(scratch + pad, pad);
        array = ArrayPool<T>.Shared.Rent(checked((int)(left + right + sums + extra + pad)));
        handle = GCHandle.Alloc(array, GCHandleType.Pinned);
        nint pinned = handle.AddrOfPinnedObject();
        var first = (T*)(pinned + (nint)CpuLaunch.ToCacheLine(pinned));
        Packed = new Packed<T>(first, first + left, first + left + right, first + left + right + sums);
    }

    /// <summary>The buffers.</summary>
    public readonly Packed<T> Packed { get; }

    public void Dispose()
    {
        if (!handle.IsAllocated)
            return;
        handle.Free();
        ArrayPool<T>.Shared.Return(array);
    }

    private static long RoundUp(long value, int multiple) => (value + multiple - 1) / multiple * multiple;
}

/// <summary>The packed panels of a thread, its partial sums and its spare buffer.</summary>
internal readonly unsafe struct Packed<T>(T* left, T* right, T* scratch, T* extra)
    where T : unmanaged
{
    public T* Left { get; } = left;

    public T* Right { get; } = right;

    public T* Scratch { get; } = scratch;

    public T* Extra { get; } = extra;
}

/// <summary>
/// One packed left panel (rows [Row, Row + Height)) against one packed right panel (columns [Column, Column +
/// Width), one panel of Depth), whether it is the first and the last panel of depth, and the index of its first tile
/// among the item's partial sums (negative: one panel, one tile of scratch).
/// </summary>
internal readonly record struct TileBlock(
    int Row, int Column, int Height, int Width, int Depth, bool First, bool Last, long FirstTile);

internal static unsafe partial class CpuRoutines
{
    /// <summary>Rows of one packed left panel at most: <see cref="LeftPanelTiles"/> tiles of the tallest tile.
    /// </summary>
    public const int LeftPanelRows = LeftPanelTiles * 12;

    /// <summary>Partial sums a block of <paramref name="rows"/> × <paramref name="columns"/> needs over a depth.
    /// </summary>
    public static long ScratchSize<T>(int rows, int columns, int depth, int vectorBits)
        where T : unmanaged
    {
        int tileRows = TileRows(vectorBits), tileColumns = TileColumns<T>(vectorBits);
        if (depth <= PanelDepth)
            return tileRows * tileColumns;
        return (long)RoundUp(rows, tileRows) * Math.Min(PanelColumns<T>(vectorBits), RoundUp(columns, tileColumns));
    }

    /// <summary>
    /// One block of C′ = L·R: per panel of columns and of depth, R is packed into slivers two vectors wide, then per
    /// panel of rows L, and register tiles accumulate each element as one chain of fused multiply-adds in depth
    /// order, from 0; each finished tile goes to the sink. The partial sums need <see cref="ScratchSize{T}"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Block<T, TVector, TSimd, TLeft, TRight, TSink>(
        Packed<T> packed, in TLeft left, in TRight right, in TSink sink, BlockBounds b)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TSimd : struct, ITileSimd<T, TVector>
        where TLeft : struct, ILeftPanels<T>
        where TRight : struct, IRightPanels<T>
        where TSink : struct, ITileSink<T>
    {
        int tileRows = TSimd.TileRows, tileColumns = 2 * TSimd.Lanes;
        int panelColumns = PanelColumns<T>(TSimd.Lanes * sizeof(T) * 8), panelRows = LeftPanelTiles * tileRows;
        // Partial sums live in C's place between panels of depth: one tile when there is one panel.
        bool onePanel = b.Depth <= PanelDepth;
        for (int jc = b.Column0; jc < b.Column1; jc += panelColumns)
        {
            int width = Math.Min(panelColumns, b.Column1 - jc);
            for (int pc = 0; pc < b.Depth; pc += PanelDepth)
            {
                int depth = Math.Min(PanelDepth, b.Depth - pc);
                right.Pack<TVector, TSimd>(packed.Right, jc, width, pc, depth);
                for (int ic = b.Row0; ic < b.Row1; ic += panelRows)
                {
                    int height = Math.Min(panelRows, b.Row1 - ic);
                    left.Pack<TVector, TSimd>(packed.Left, ic, height, pc, depth);
                    // The panel's partial sums: tile (t, s) at ((ic − Row0)/tileRows + t)·slivers + s.
                    int slivers = (width + tileColumns - 1) / tileColumns;
                    long first = onePanel ? -1 : (long)(ic - b.Row0) / tileRows * slivers;
                    bool last = pc + depth == b.Depth;
                    var block = new TileBlock(ic, jc, height, width, depth, pc == 0, last, first);
                    Tiles<T, TVector, TSimd, TSink>(packed, block, left.ByRows, sink);
                }
            }
        }
    }

    /// <summary>
    /// Every register tile of a packed left panel against every sliver of the packed right panel: accumulates each
    /// tile into its partial sums (the scratch), then on the last panel of depth hands it to the sink.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tiles<T, TVector, TSimd, TSink>(Packed<T> packed, TileBlock block, bool byRows, in TSink sink)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TSimd : struct, ITileSimd<T, TVector>
        where TSink : struct, ITileSink<T>
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
                if (byRows)
                    RegisterTile<T, TVector, TSimd, PanelByRows>(rows, panel, sliver, tile, block.Depth, !block.First);
                else
                    RegisterTile<T, TVector, TSimd, PanelByDepth>(rows, panel, sliver, tile, block.Depth, !block.First);
                if (block.Last)
                {
                    int i0 = block.Row + (t * tileRows), j0 = block.Column + (s * tileColumns);
                    sink.Store(tile, tileColumns, (i0, rows), (j0, columns));
                }
            }
        }
    }
}
