using System.Numerics;
using System.Runtime.CompilerServices;
using ILGPU;

// Tiles and register rows are plain data with public fields, and implement their interface's static members.
#pragma warning disable CA1051, CA1000

namespace AutoDiff.Gpu.Kernels;

/// <summary>Which implementation runs <see cref="KernelLibrary.MatMul{T}"/>.</summary>
public enum MatMulImplementation
{
    /// <summary>The CPU accelerator's blocked kernel: packed panels, SIMD register tiles, one block of C per work item.</summary>
    Blocked,

    /// <summary>The tiled shared-memory kernel (GPUs without cuBLAS, OpenCL, and the GPU layout on the CPU accelerator).</summary>
    Tiled,

    /// <summary>NVIDIA cuBLAS through ILGPU.Algorithms (CUDA, where the library loads).</summary>
    CuBlas,
}

/// <summary>
/// <c>C = alpha·op(A)·op(B) + beta·C</c> for row-major C (M×N), where op(A) is M×K — A is stored M×K, or K×M
/// when <see cref="TransposeA"/> — and op(B) is K×N — B is stored K×N, or N×K when <see cref="TransposeB"/>.
/// A kernel argument.
/// </summary>
/// <param name="M">Rows of C.</param>
/// <param name="N">Columns of C.</param>
/// <param name="K">The inner dimension.</param>
/// <param name="TransposeA">1 when A is stored K×M.</param>
/// <param name="TransposeB">1 when B is stored N×K.</param>
internal readonly record struct MatMulGeometry(int M, int N, int K, int TransposeA, int TransposeB)
{
    /// <summary>op(A)[i, p].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long IndexA(int i, int p) => TransposeA != 0 ? ((long)p * M) + i : ((long)i * K) + p;

    /// <summary>op(B)[p, j].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long IndexB(int p, int j) => TransposeB != 0 ? ((long)j * K) + p : ((long)p * N) + j;
}

/// <summary>
/// The block geometry of the tiled kernel: a group computes a <see cref="BlockM"/>×<see cref="BlockN"/> block of
/// C, stepping through K by <see cref="BlockK"/>; each thread holds an 8×8 register tile, so a group has
/// (BlockM/8)·(BlockN/8) threads.
/// </summary>
internal interface IMatMulTile
{
    /// <summary>Rows of C per group (a multiple of 8).</summary>
    static abstract int BlockM { get; }

    /// <summary>Columns of C per group (a multiple of 8).</summary>
    static abstract int BlockN { get; }

    /// <summary>Depth of one step through K (a multiple of 4).</summary>
    static abstract int BlockK { get; }

    /// <summary>Elements of the shared A tile, BlockK·BlockM.</summary>
    static abstract int SharedA { get; }

    /// <summary>Elements of the shared B tile, BlockK·BlockN.</summary>
    static abstract int SharedB { get; }

    /// <summary>Threads of a group: one per 8×8 register tile, (BlockM/8)·(BlockN/8), or one per lane of the warps of <see cref="TensorCoreTile"/>.</summary>
    static abstract int Threads { get; }

    /// <summary>
    /// Groups a GPU multiprocessor should hold at once: the kernels are compiled for it (PTX's <c>.minnctapersm</c>, with
    /// <c>.maxntid</c> = <see cref="Threads"/>), which caps a thread's registers at 65,536 / (Threads · groups), so a
    /// compiler that would take a few more registers cannot halve the groups resident.
    /// </summary>
    static abstract int GroupsPerMultiprocessor { get; }
}

/// <summary>128×128 blocks, K steps of 8, 256 threads: float32 on GPUs.</summary>
internal readonly struct LargeTile : IMatMulTile
{
    /// <inheritdoc/>
    public static int BlockM => 128;

    /// <inheritdoc/>
    public static int BlockN => 128;

    /// <inheritdoc/>
    public static int BlockK => 8;

    /// <inheritdoc/>
    public static int SharedA => 8 * 128;

    /// <inheritdoc/>
    public static int SharedB => 8 * 128;

    /// <inheritdoc/>
    public static int Threads => 128 / 8 * (128 / 8);

    /// <inheritdoc/>
    public static int GroupsPerMultiprocessor => 2; // 128 registers a thread
}

/// <summary>64×64 blocks, K steps of 8, 64 threads: float64 on GPUs (twice the registers per accumulator).</summary>
internal readonly struct MediumTile : IMatMulTile
{
    /// <inheritdoc/>
    public static int BlockM => 64;

    /// <inheritdoc/>
    public static int BlockN => 64;

    /// <inheritdoc/>
    public static int BlockK => 8;

    /// <inheritdoc/>
    public static int SharedA => 8 * 64;

    /// <inheritdoc/>
    public static int SharedB => 8 * 64;

    /// <inheritdoc/>
    public static int Threads => 64 / 8 * (64 / 8);

    /// <inheritdoc/>
    public static int GroupsPerMultiprocessor => 4; // 256 registers a thread, no cap
}

/// <summary>16×8 blocks, K steps of 4, 2 threads: the same kernel on accelerators with tiny groups (the CPU accelerator).</summary>
internal readonly struct SmallTile : IMatMulTile
{
    /// <inheritdoc/>
    public static int BlockM => 16;

    /// <inheritdoc/>
    public static int BlockN => 8;

    /// <inheritdoc/>
    public static int BlockK => 4;

    /// <inheritdoc/>
    public static int SharedA => 4 * 16;

    /// <inheritdoc/>
    public static int SharedB => 4 * 8;

    /// <inheritdoc/>
    public static int Threads => 16 / 8 * (8 / 8);

    /// <inheritdoc/>
    public static int GroupsPerMultiprocessor => 1; // the CPU accelerator
}

/// <summary>Eight values held in registers: a row of a thread's register tile, or a fragment of A or B.</summary>
/// <typeparam name="T">The element type.</typeparam>
internal struct Row8<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The values.</summary>
    public T V0, V1, V2, V3, V4, V5, V6, V7;

    /// <summary>Element quads <paramref name="index"/> of <paramref name="first"/> and <paramref name="second"/>: two four-element loads.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Row8<T> Load(ArrayView<Quad<T>> first, ArrayView<Quad<T>> second, int index)
    {
        var a = first[index];
        var b = second[index];
        return new() { V0 = a.X, V1 = a.Y, V2 = a.Z, V3 = a.W, V4 = b.X, V5 = b.Y, V6 = b.Z, V7 = b.W };
    }

    /// <summary>row + a·b, value by value (contracted to FMAs).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Row8<T> MultiplyAdd(Row8<T> row, T a, Row8<T> b) => new()
    {
        V0 = row.V0 + (a * b.V0), V1 = row.V1 + (a * b.V1), V2 = row.V2 + (a * b.V2), V3 = row.V3 + (a * b.V3),
        V4 = row.V4 + (a * b.V4), V5 = row.V5 + (a * b.V5), V6 = row.V6 + (a * b.V6), V7 = row.V7 + (a * b.V7),
    };
}

/// <summary>Four consecutive elements, loaded at once (one vector load from shared memory for float32).</summary>
/// <typeparam name="T">The element type.</typeparam>
public struct Quad<T>
    where T : unmanaged
{
    /// <summary>The elements.</summary>
    public T X, Y, Z, W;
}

/// <summary>
/// Where a thread of a tiled product works: its group's block of C starts at (<see cref="M0"/>, <see cref="N0"/>);
/// its 8×8 register tile covers rows {RowA..RowA+3, RowB..RowB+3} and columns {ColumnA..ColumnA+3,
/// ColumnB..ColumnB+3} of that block, which keeps a warp's shared reads free of bank conflicts.
/// </summary>
internal readonly record struct TilePlace(int M0, int N0, int RowA, int RowB, int ColumnA, int ColumnB)
{
    /// <summary>The place of <paramref name="thread"/> of the current group.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TilePlace Of<TTile>(MatMulGeometry g, int thread)
        where TTile : struct, IMatMulTile
    {
        int tilesN = (g.N + TTile.BlockN - 1) / TTile.BlockN;
        int tx = thread % (TTile.BlockN / 8);
        int ty = thread / (TTile.BlockN / 8);
        return new(
            Grid.IdxX / tilesN * TTile.BlockM,
            Grid.IdxX % tilesN * TTile.BlockN,
            4 * ty,
            (TTile.BlockM / 2) + (4 * ty),
            4 * tx,
            (TTile.BlockN / 2) + (4 * tx));
    }
}

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

/// <summary>The matrix-product kernels (see <see cref="MatMulGeometry"/>).</summary>
internal static unsafe partial class MatMulKernels
{
    /// <summary>
    /// Tiled <c>C = alpha·op(A)·op(B) + beta·C</c>: group g computes one TTile block of C; per step through K
    /// the group stages op(A)'s and op(B)'s tiles in shared memory (zero outside the matrices, so any M, N, K
    /// works), then each thread accumulates its 8×8 register tile — rows {4ty..4ty+3, BlockM/2+4ty..} and
    /// columns {4tx..4tx+3, BlockN/2+4tx..}, which keeps a warp's shared reads free of bank conflicts.
    /// </summary>
    public static void MatMulTiled<T, TTile>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> c, MatMulGeometry g, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TTile : struct, IMatMulTile
    {
        var sharedA = SharedMemory.Allocate<T>(TTile.BlockK * Padded(TTile.BlockM));
        var sharedB = SharedMemory.Allocate<T>(TTile.BlockK * Padded(TTile.BlockN));
        int threads = Group.DimX;
        int thread = Group.IdxX;
        var at = TilePlace.Of<TTile>(g, thread);

        var tile = default(RegisterTile<T>);
        for (int k0 = 0; k0 < g.K; k0 += TTile.BlockK)
        {
            // Stage op(A)[m0.., k0..] as sharedA[kk·Padded(BlockM) + m] and op(B)[k0.., n0..] as sharedB[kk·Padded(BlockN) + n].
            Stage<T, TTile, TileA>(a, sharedA, g, at, k0, thread, threads);
            Stage<T, TTile, TileB>(b, sharedB, g, at, k0, thread, threads);
            Group.Barrier();
            tile = RegisterTile<T>.Accumulate<TTile>(tile, sharedA.Cast<Quad<T>>(), sharedB.Cast<Quad<T>>(), at);
            Group.Barrier();
        }
        tile.Store(c, g, at, alpha, beta);
    }

    /// <summary>
    /// <see cref="MatMulTiled{T, TTile}"/> with the next step's tiles fetched from global memory into registers while
    /// the group computes on the current ones: a thread issues all its loads of a step together, and their latency
    /// overlaps the step's arithmetic instead of stalling the group at every step (<see cref="MatMulTiled{T, TTile}"/>
    /// waits for each load in turn). The shared tiles have two stages, so a step stores the next step's elements beside
    /// the ones it reads and needs one barrier, not two. For tiles whose shared A and B tiles are four or eight elements
    /// per thread (<see cref="Staged{TTile}"/>: <see cref="LargeTile"/>, 128×128×8 with 256 threads, four;
    /// <see cref="MediumTile"/>, 64×64×8 with 64 threads, eight).
    /// </summary>
    public static void MatMulTiledPrefetch<T, TTile>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> c, MatMulGeometry g, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TTile : struct, IMatMulTile
    {
        // Two stages of each tile: step s computes on stage s % 2 while the next step's elements arrive in registers;
        // they go to the other stage, whose last readers passed the previous barrier, so one barrier a step suffices.
        int stageA = TTile.BlockK * Padded(TTile.BlockM), stageB = TTile.BlockK * Padded(TTile.BlockN);
        var sharedA = SharedMemory.Allocate<T>(2 * TTile.BlockK * Padded(TTile.BlockM));
        var sharedB = SharedMemory.Allocate<T>(2 * TTile.BlockK * Padded(TTile.BlockN));
        int thread = Group.IdxX;
        var at = TilePlace.Of<TTile>(g, thread);
        // A thread's elements of each tile lie a fixed step apart; its cursors move by one step through K at a time.
        var stepsA = TileSide.Steps<TTile, TileA>(g);
        var stepsB = TileSide.Steps<TTile, TileB>(g);
        var cursorA = TileSide.Cursor<TTile, TileA>(g, at, thread);
        var cursorB = TileSide.Cursor<TTile, TileB>(g, at, thread);

        Stash<T, TTile>(sharedA, cursorA, stepsA, Fetch<T, TTile>(a, g, cursorA, stepsA));
        Stash<T, TTile>(sharedB, cursorB, stepsB, Fetch<T, TTile>(b, g, cursorB, stepsB));
        Group.Barrier();
        var tile = default(RegisterTile<T>);
        int stage = 0;
        for (int k0 = 0; k0 < g.K; k0 += TTile.BlockK)
        {
            bool more = k0 + TTile.BlockK < g.K;
            var fetchedA = default(Row8<T>);
            var fetchedB = default(Row8<T>);
            if (more)
            {
                // The next step's loads are in flight while this step computes.
                cursorA = Advance<TTile>(cursorA, stepsA);
                cursorB = Advance<TTile>(cursorB, stepsB);
                fetchedA = Fetch<T, TTile>(a, g, cursorA, stepsA);
                fetchedB = Fetch<T, TTile>(b, g, cursorB, stepsB);
            }
            // Stages are whole quads (padded rows are multiples of 4): views of quads keep the loads four elements wide.
            tile = RegisterTile<T>.Accumulate<TTile>(
                tile, sharedA.Cast<Quad<T>>().SubView(stage * stageA / 4, stageA / 4), sharedB.Cast<Quad<T>>().SubView(stage * stageB / 4, stageB / 4), at);
            if (more)
            {
                stage = 1 - stage;
                Stash<T, TTile>(sharedA, Shifted(cursorA, stage * stageA), stepsA, fetchedA);
                Stash<T, TTile>(sharedB, Shifted(cursorB, stage * stageB), stepsB, fetchedB);
                Group.Barrier();
            }
        }
        tile.Store(c, g, at, alpha, beta);
    }

    /// <summary>
    /// Elements between depths of a register-tile kernel's shared tile of <paramref name="rows"/> rows (stored depth by
    /// depth): 4 more than the rows, so that a warp's stores of elements read along K (A stored M×K, B stored N×K: 4
    /// rows × 8 depths in a float32 warp) fall in 32 different banks, where an unpadded tile put all 8 depths of a row
    /// in one bank. Rows stay 16-byte aligned for the four-element loads of the register tiles.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Padded(int rows) => rows + 4;

    /// <summary>Threads of a TTile group (<see cref="IMatMulTile.Threads"/>).</summary>
    public static int Threads<TTile>()
        where TTile : struct, IMatMulTile =>
        TTile.Threads;

    /// <summary>
    /// Elements of each shared tile (A's and B's) that one thread of <see cref="MatMulTiledPrefetch{T, TTile}"/>
    /// holds between steps: 4 or 8, else the tile cannot prefetch (0). The threads must also be a multiple of
    /// every extent of the tiles, so that a thread's elements lie a fixed step apart (<see cref="TileSteps"/>).
    /// </summary>
    public static int Staged<TTile>()
        where TTile : struct, IMatMulTile
    {
        int threads = Threads<TTile>();
        int a = TTile.SharedA / threads, b = TTile.SharedB / threads;
        bool whole = a * threads == TTile.SharedA && b * threads == TTile.SharedB;
        bool affine = threads % TTile.BlockM == 0 && threads % TTile.BlockN == 0 && threads % TTile.BlockK == 0;
        return whole && affine && a == b && (a == 4 || a == 8) ? a : 0;
    }

    /// <summary>Element r of a thread's share of a tile (zero outside the matrix).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Load<T>(ArrayView<T> matrix, MatMulGeometry g, TileCursor at, TileSteps steps, int r)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        at.Row + (r * steps.Row) < steps.Rows && at.Depth + (r * steps.Depth) < g.K ? matrix[at.Index + (r * steps.Index)] : T.Zero;

    /// <summary>
    /// This thread's elements of a tile (elements thread + r·threads, r &lt; <see cref="Staged{TTile}"/>), zero outside
    /// the matrix; every load is issued before any is used.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Row8<T> Fetch<T, TTile>(ArrayView<T> matrix, MatMulGeometry g, TileCursor at, TileSteps steps)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TTile : struct, IMatMulTile
    {
        var fetched = new Row8<T>
        {
            V0 = Load(matrix, g, at, steps, 0),
            V1 = Load(matrix, g, at, steps, 1),
            V2 = Load(matrix, g, at, steps, 2),
            V3 = Load(matrix, g, at, steps, 3),
        };
        if (Staged<TTile>() == 8)
        {
            fetched.V4 = Load(matrix, g, at, steps, 4);
            fetched.V5 = Load(matrix, g, at, steps, 5);
            fetched.V6 = Load(matrix, g, at, steps, 6);
            fetched.V7 = Load(matrix, g, at, steps, 7);
        }
        return fetched;
    }

    /// <summary>Writes fetched elements to their slots of the shared tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Stash<T, TTile>(ArrayView<T> shared, TileCursor at, TileSteps steps, Row8<T> fetched)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TTile : struct, IMatMulTile
    {
        shared[at.Slot] = fetched.V0;
        shared[at.Slot + steps.Slot] = fetched.V1;
        shared[at.Slot + (2 * steps.Slot)] = fetched.V2;
        shared[at.Slot + (3 * steps.Slot)] = fetched.V3;
        if (Staged<TTile>() == 8)
        {
            shared[at.Slot + (4 * steps.Slot)] = fetched.V4;
            shared[at.Slot + (5 * steps.Slot)] = fetched.V5;
            shared[at.Slot + (6 * steps.Slot)] = fetched.V6;
            shared[at.Slot + (7 * steps.Slot)] = fetched.V7;
        }
    }

    /// <summary>The cursor one step through K further.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TileCursor Advance<TTile>(TileCursor at, TileSteps steps)
        where TTile : struct, IMatMulTile =>
        new() { Index = at.Index + steps.Advance, Row = at.Row, Depth = at.Depth + TTile.BlockK, Slot = at.Slot };

    /// <summary>Stages TSide's tile at step k0 in shared memory, each thread taking elements thread + r·threads.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Stage<T, TTile, TSide>(ArrayView<T> matrix, ArrayView<T> shared, MatMulGeometry g, TilePlace at, int k0, int thread, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TTile : struct, IMatMulTile
        where TSide : struct, ITileSide
    {
        for (int e = thread; e < TileSide.Elements<TTile, TSide>(); e += threads)
            TileSide.Put<T, TTile, TSide>(shared, g, e, TileSide.Element<T, TTile, TSide>(matrix, g, at, k0, e));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void StoreRow<T>(ArrayView<T> c, MatMulGeometry g, Row8<T> row, int i, int columnA, int columnB, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (i >= g.M)
            return;
        long start = (long)i * g.N;
        Store(c, g, start, columnA, row.V0, alpha, beta);
        Store(c, g, start, columnA + 1, row.V1, alpha, beta);
        Store(c, g, start, columnA + 2, row.V2, alpha, beta);
        Store(c, g, start, columnA + 3, row.V3, alpha, beta);
        Store(c, g, start, columnB, row.V4, alpha, beta);
        Store(c, g, start, columnB + 1, row.V5, alpha, beta);
        Store(c, g, start, columnB + 2, row.V6, alpha, beta);
        Store(c, g, start, columnB + 3, row.V7, alpha, beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T>(ArrayView<T> c, MatMulGeometry g, long rowStart, int j, T value, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (j >= g.N)
            return;
        // beta = 0 never reads C, which may hold anything (NaN included), as BLAS specifies.
        c[rowStart + j] = beta == T.Zero ? alpha * value : (alpha * value) + (beta * c[rowStart + j]);
    }
}
