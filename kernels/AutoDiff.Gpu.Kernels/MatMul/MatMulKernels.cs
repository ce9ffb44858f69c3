using System.Numerics;
using System.Runtime.CompilerServices;
using ILGPU;

// Tiles and register rows are plain data with public fields, and implement their interface's static members.
#pragma warning disable CA1051, CA1000

namespace AutoDiff.Gpu.Kernels;

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
