using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime.Cuda;

// Tiles are plain data with public fields, and implement their interface's static members.
#pragma warning disable CA1051, CA1000

namespace AutoDiff.Gpu.Kernels;

/// <summary>A block geometry of <see cref="MatMulKernels.MatMulTensorCores{TTile}"/>: its warps' tiles of C are 32 rows by <see cref="WarpColumns"/>.</summary>
internal interface ITensorCoreTile : IMatMulTile
{
    /// <summary>Columns of a warp's tile of C: 32 (one <see cref="WarpTile"/>) or 64 (two side by side, sharing A's fragments).</summary>
    static abstract int WarpColumns { get; }
}

/// <summary>
/// 64×64 blocks, K steps of 16, 128 threads: four warps of 32×32 tiles on the float64 matrix units
/// (<see cref="MatMulKernels.MatMulTensorCores{TTile}"/>); 40 KB of shared memory, 3 groups per SM.
/// </summary>
internal readonly struct TensorCoreTile : ITensorCoreTile
{
    /// <inheritdoc/>
    public static int BlockM => 64;

    /// <inheritdoc/>
    public static int BlockN => 64;

    /// <inheritdoc/>
    public static int BlockK => 16;

    /// <inheritdoc/>
    public static int SharedA => 16 * 64;

    /// <inheritdoc/>
    public static int SharedB => 16 * 64;

    /// <inheritdoc/>
    public static int Threads => 64 / 32 * (64 / 32) * 32;

    /// <inheritdoc/>
    public static int GroupsPerMultiprocessor => 3; // 168 registers a thread

    /// <inheritdoc/>
    public static int WarpColumns => 32;
}

/// <summary>
/// 128×128 blocks, K steps of 8, 256 threads: eight warps of 32×64 tiles (<see cref="MatMulKernels.MatMulTensorCores{TTile}"/>),
/// half the traffic from L2 per operation of <see cref="TensorCoreTile"/>, twice the accumulators per thread; 48 KB of
/// shared memory, one group per SM.
/// </summary>
internal readonly struct LargeTensorCoreTile : ITensorCoreTile
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
    public static int Threads => 128 / 32 * (128 / 64) * 32;

    /// <inheritdoc/>
    public static int GroupsPerMultiprocessor => 1; // 255 registers a thread, no cap

    /// <inheritdoc/>
    public static int WarpColumns => 64;
}

/// <summary>
/// Where a tile side's element (row r of the block, depth p of the step) lies in its padded shared tile:
/// r·<see cref="Row"/> + p·<see cref="Depth"/>. The stored matrix's contiguous axis is contiguous in shared memory
/// too, so a warp's stores from coalesced loads hit distinct banks; the other axis is padded (by 4 elements when
/// depth is contiguous, by 8 when rows are), so that the 32 lanes' fragment loads of an 8×4 (or 4×8) slice fill
/// two 128-byte wavefronts, the least 32 float64 values take.
/// </summary>
/// <param name="Row">Elements between rows.</param>
/// <param name="Depth">Elements between depths.</param>
internal readonly record struct PaddedLayout(int Row, int Depth)
{
    /// <summary>The layout of a side, by whether its stored matrix is contiguous along K (<see cref="ITileSide.DepthContiguous"/>) or along its rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static PaddedLayout Of<TTile, TSide>(MatMulGeometry g)
        where TTile : struct, IMatMulTile
        where TSide : struct, ITileSide =>
        TSide.DepthContiguous(g) ? new(TTile.BlockK + 4, 1) : new(1, TSide.BlockRows<TTile>() + 8);

    /// <summary>The cursor's slot in this layout, for a block whose rows start at <paramref name="origin"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TileCursor Place(TileCursor at, int origin) =>
        new() { Index = at.Index, Row = at.Row, Depth = at.Depth, Slot = ((at.Row - origin) * Row) + (at.Depth * Depth) };

    /// <summary>Slot of lane <paramref name="lane"/>'s fragment element relative to its warp's first: row lane / 4, depth lane % 4.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Lane(int lane) => ((lane >> 2) * Row) + ((lane & 3) * Depth);

    /// <summary>The steps with the slot step of this layout.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TileSteps Place(TileSteps steps) =>
        new(steps.Index, steps.Row, steps.Depth, (steps.Row * Row) + (steps.Depth * Depth), steps.Advance, steps.Rows);
}

/// <summary>
/// Where the lanes of a warp find their fragments of one tile side in its padded shared tile: lane l's element of
/// 8×8×4 operation i (row or column of 8×8 tiles i), depth p0 of the step, is A[8i + l / 4, p0 + l % 4] (or B's
/// [p0 + l % 4, 8i + l / 4]) at <see cref="At"/>; this lane's own at <see cref="Mine"/>.
/// </summary>
/// <param name="Shared">The shared tile.</param>
/// <param name="Warp">Slot of the warp's first row at depth 0.</param>
/// <param name="Layout">The tile's layout.</param>
/// <param name="Own">Slot of this lane's element of operation 0 at depth 0: Warp + Layout.Lane(lane).</param>
internal readonly record struct Fragments(ArrayView<double> Shared, int Warp, PaddedLayout Layout, int Own)
{
    /// <summary>Lane <paramref name="lane"/>'s element of operation <paramref name="i"/> at depth <paramref name="p0"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double At(int lane, int i, int p0) => Shared[Warp + Layout.Lane(lane) + Offset(i, p0)];

    /// <summary>This lane's element of operation <paramref name="i"/> at depth <paramref name="p0"/> (<see cref="At"/> with its slot precomputed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double Mine(int i, int p0) => Shared[Own + Offset(i, p0)];

    /// <summary>Slot of operation <paramref name="i"/>'s element at depth <paramref name="p0"/> relative to operation 0's at depth 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Offset(int i, int p0) => (8 * i * Layout.Row) + (p0 * Layout.Depth);
}

/// <summary>A warp's 32×32 block of C on the matrix units: 4×4 tiles of 8×8, two elements of each per lane.</summary>
internal struct WarpTile
{
    /// <summary>Row i of tiles: tile (i, j) is V(2j), V(2j+1).</summary>
    public Row8<double> R0, R1, R2, R3;

    /// <summary>
    /// tile + A·B over depths p0..p0+3 of the staged tiles: 16 operations of 8×8×4 (<see cref="InlinePtx.MatrixMultiplyAccumulate"/>)
    /// with this lane's fragments of A, <paramref name="ownA"/> (<see cref="FragmentsOf"/>: loaded once for both tiles
    /// of a wide warp). Where inline PTX does not run (the CPU accelerator, in tests), each lane computes its elements
    /// of the same operations from the fragments the other lanes would give (<see cref="Fragments.At"/> of lane 4g + p
    /// for A, of lane 4n + p for B), so the layout is checked without the instruction.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static WarpTile Accumulate(WarpTile tile, Fragments a, Quad<double> ownA, Fragments b, int lane, int p0)
    {
        if (CudaAsm.IsSupported)
        {
            var bs = FragmentsOf(b, p0);
            tile.R0 = Operate(tile.R0, ownA.X, bs);
            tile.R1 = Operate(tile.R1, ownA.Y, bs);
            tile.R2 = Operate(tile.R2, ownA.Z, bs);
            tile.R3 = Operate(tile.R3, ownA.W, bs);
            return tile;
        }
        tile.R0 = Emulate(tile.R0, a, b, lane, 0, p0);
        tile.R1 = Emulate(tile.R1, a, b, lane, 1, p0);
        tile.R2 = Emulate(tile.R2, a, b, lane, 2, p0);
        tile.R3 = Emulate(tile.R3, a, b, lane, 3, p0);
        return tile;
    }

    /// <summary>This lane's fragments of the four operations (rows of tiles for A, columns for B) at depth <paramref name="p0"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Quad<double> FragmentsOf(Fragments side, int p0) =>
        new() { X = side.Mine(0, p0), Y = side.Mine(1, p0), Z = side.Mine(2, p0), W = side.Mine(3, p0) };

    /// <summary>C[i, j] = alpha·tile + beta·C[i, j] for this lane's elements that lie inside C; row and column of its first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Store(ArrayView<double> c, MatMulGeometry g, int row, int column, double alpha, double beta)
    {
        MatMulKernels.StoreTileRow(c, g, R0, row, column, alpha, beta);
        MatMulKernels.StoreTileRow(c, g, R1, row + 8, column, alpha, beta);
        MatMulKernels.StoreTileRow(c, g, R2, row + 16, column, alpha, beta);
        MatMulKernels.StoreTileRow(c, g, R3, row + 24, column, alpha, beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Row8<double> Operate(Row8<double> row, double a, Quad<double> b)
    {
        var t0 = InlinePtx.MatrixMultiplyAccumulate(new() { D0 = row.V0, D1 = row.V1 }, a, b.X);
        var t1 = InlinePtx.MatrixMultiplyAccumulate(new() { D0 = row.V2, D1 = row.V3 }, a, b.Y);
        var t2 = InlinePtx.MatrixMultiplyAccumulate(new() { D0 = row.V4, D1 = row.V5 }, a, b.Z);
        var t3 = InlinePtx.MatrixMultiplyAccumulate(new() { D0 = row.V6, D1 = row.V7 }, a, b.W);
        return new() { V0 = t0.D0, V1 = t0.D1, V2 = t1.D0, V3 = t1.D1, V4 = t2.D0, V5 = t2.D1, V6 = t3.D0, V7 = t3.D1 };
    }

    /// <summary>
    /// Row i of tiles as the operations compute it: D[g, 2t + e] = C[g, 2t + e] + Σp A[g, p]·B[p, 2t + e], where lane
    /// 4g + p gives A[g, p] and lane 4n + p gives B[p, n] (g = lane / 4, t = lane % 4).
    /// </summary>
    private static Row8<double> Emulate(Row8<double> row, Fragments a, Fragments b, int lane, int i, int p0)
    {
        int g = lane / 4, n = 2 * (lane % 4);
        for (int p = 0; p < 4; p++)
        {
            double ap = a.At((4 * g) + p, i, p0);
            row.V0 += ap * b.At((4 * n) + p, 0, p0);
            row.V1 += ap * b.At((4 * (n + 1)) + p, 0, p0);
            row.V2 += ap * b.At((4 * n) + p, 1, p0);
            row.V3 += ap * b.At((4 * (n + 1)) + p, 1, p0);
            row.V4 += ap * b.At((4 * n) + p, 2, p0);
            row.V5 += ap * b.At((4 * (n + 1)) + p, 2, p0);
            row.V6 += ap * b.At((4 * n) + p, 3, p0);
            row.V7 += ap * b.At((4 * (n + 1)) + p, 3, p0);
        }
        return row;
    }
}

// The float64 product on the matrix units.
internal static partial class MatMulKernels
{
    /// <summary>
    /// <c>C = alpha·op(A)·op(B) + beta·C</c> in float64 on the matrix units of CUDA SM 8.0 and later (PTX's
    /// <c>mma.sync</c> m8n8k4, <see cref="InlinePtx.MatrixMultiplyAccumulate"/>), 32-lane warps required. Group g
    /// computes one TTile block of C; its warps split the block into 32×32 tiles (TTile.BlockN / 32 across). Per step
    /// through K the warps run 16 matrix operations per 4 of depth on one stage of op(A)'s and op(B)'s tiles in padded
    /// shared memory (<see cref="PaddedLayout"/>, zero outside the matrices, so any M, N, K works) while the next
    /// step's elements are fetched into registers (as in <see cref="MatMulTiledPrefetch{T, TTile}"/>), then stored to
    /// the other stage: one barrier a step. Where inline PTX does not run (the CPU accelerator, in tests) each lane
    /// computes the same operations from shared memory (<see cref="WarpTile.Accumulate"/>).
    /// </summary>
    public static void MatMulTensorCores<TTile>(ArrayView<double> a, ArrayView<double> b, ArrayView<double> c, MatMulGeometry g, double alpha, double beta)
        where TTile : struct, ITensorCoreTile
    {
        // Two stages of each tile, padded to BlockK + 4 a row when depth is contiguous, BlockK·(rows + 8) otherwise:
        // the first is larger when rows ≥ 2·BlockK.
        int stageA = TTile.BlockM * (TTile.BlockK + 4), stageB = TTile.BlockN * (TTile.BlockK + 4);
        var sharedA = SharedMemory.Allocate<double>(2 * TTile.BlockM * (TTile.BlockK + 4));
        var sharedB = SharedMemory.Allocate<double>(2 * TTile.BlockN * (TTile.BlockK + 4));
        int thread = Group.IdxX;
        int tilesN = (g.N + TTile.BlockN - 1) / TTile.BlockN;
        var at = new TilePlace(Grid.IdxX / tilesN * TTile.BlockM, Grid.IdxX % tilesN * TTile.BlockN, 0, 0, 0, 0);
        var layoutA = PaddedLayout.Of<TTile, TileA>(g);
        var layoutB = PaddedLayout.Of<TTile, TileB>(g);
        var stepsA = layoutA.Place(TileSide.Steps<TTile, TileA>(g));
        var stepsB = layoutB.Place(TileSide.Steps<TTile, TileB>(g));
        var cursorA = layoutA.Place(TileSide.Cursor<TTile, TileA>(g, at, thread), at.M0);
        var cursorB = layoutB.Place(TileSide.Cursor<TTile, TileB>(g, at, thread), at.N0);

        // Warp w computes the 32×WarpColumns tile of C at (warpRow, warpColumn) of the block: one WarpTile per 32 columns.
        int warp = thread >> 5, lane = thread & 31;
        int warpRow = warp / (TTile.BlockN / TTile.WarpColumns) * 32, warpColumn = warp % (TTile.BlockN / TTile.WarpColumns) * TTile.WarpColumns;
        bool wide = TTile.WarpColumns == 64;
        int laneA = layoutA.Lane(lane), laneB = layoutB.Lane(lane);

        // Step s computes on stage s % 2 while the next step's elements arrive in registers; they go to the other
        // stage, whose last readers passed the previous barrier, so one barrier a step suffices.
        Stash<double, TTile>(sharedA, cursorA, stepsA, Fetch<double, TTile>(a, g, cursorA, stepsA));
        Stash<double, TTile>(sharedB, cursorB, stepsB, Fetch<double, TTile>(b, g, cursorB, stepsB));
        Group.Barrier();
        var tile = default(WarpTile);
        var right = default(WarpTile);
        int stage = 0;
        for (int k0 = 0; k0 < g.K; k0 += TTile.BlockK)
        {
            bool more = k0 + TTile.BlockK < g.K;
            var fetchedA = default(Row8<double>);
            var fetchedB = default(Row8<double>);
            if (more)
            {
                cursorA = Advance<TTile>(cursorA, stepsA);
                cursorB = Advance<TTile>(cursorB, stepsB);
                fetchedA = Fetch<double, TTile>(a, g, cursorA, stepsA);
                fetchedB = Fetch<double, TTile>(b, g, cursorB, stepsB);
            }
            int warpA = (stage * stageA) + (warpRow * layoutA.Row), warpB = (stage * stageB) + (warpColumn * layoutB.Row), warpRight = warpB + (32 * layoutB.Row);
            var fragmentsA = new Fragments(sharedA, warpA, layoutA, warpA + laneA);
            var fragmentsB = new Fragments(sharedB, warpB, layoutB, warpB + laneB);
            var fragmentsRight = new Fragments(sharedB, warpRight, layoutB, warpRight + laneB);
            for (int p = 0; p < TTile.BlockK; p += 4)
            {
                var ownA = WarpTile.FragmentsOf(fragmentsA, p);
                tile = WarpTile.Accumulate(tile, fragmentsA, ownA, fragmentsB, lane, p);
                if (wide)
                    right = WarpTile.Accumulate(right, fragmentsA, ownA, fragmentsRight, lane, p);
            }
            if (more)
            {
                stage = 1 - stage;
                Stash<double, TTile>(sharedA, Shifted(cursorA, stage * stageA), stepsA, fetchedA);
                Stash<double, TTile>(sharedB, Shifted(cursorB, stage * stageB), stepsB, fetchedB);
                Group.Barrier();
            }
        }
        int row = at.M0 + warpRow + (lane / 4), column = at.N0 + warpColumn + (2 * (lane % 4));
        tile.Store(c, g, row, column, alpha, beta);
        if (wide)
            right.Store(c, g, row, column + 32, alpha, beta);
    }

    /// <summary>
    /// Whether <see cref="MatMulTensorCores{TTile}"/> can run a TTile: 32-lane warps that tile the block with 32×32 or
    /// 32×64 tiles, a 4-deep multiple of depth, staging of 4 or 8 elements a thread (<see cref="Staged{TTile}"/>), rows
    /// ≥ 2·depth (the padded tiles' size), and two stages within the 48 KB of shared memory a group may declare.
    /// </summary>
    public static bool TensorCoreTileFits<TTile>()
        where TTile : struct, ITensorCoreTile =>
        TTile.WarpColumns is 32 or 64 && TTile.BlockM % 32 == 0 && TTile.BlockN % TTile.WarpColumns == 0
        && TTile.Threads == TTile.BlockM / 32 * (TTile.BlockN / TTile.WarpColumns) * 32
        && TTile.BlockK % 4 == 0 && Staged<TTile>() > 0 && TTile.BlockM >= 2 * TTile.BlockK && TTile.BlockN >= 2 * TTile.BlockK
        && 2 * (TTile.BlockM + TTile.BlockN) * (TTile.BlockK + 4) * sizeof(double) <= 48 * 1024;

    /// <summary>The cursor with its shared slot <paramref name="offset"/> further (another stage of the tile).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TileCursor Shifted(TileCursor at, int offset) =>
        new() { Index = at.Index, Row = at.Row, Depth = at.Depth, Slot = at.Slot + offset };

    /// <summary>A lane's elements of one row of 8×8 tiles: tile j's two at columns column + 8j and column + 8j + 1 of row <paramref name="i"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void StoreTileRow(ArrayView<double> c, MatMulGeometry g, Row8<double> row, int i, int column, double alpha, double beta)
    {
        if (i >= g.M)
            return;
        long start = (long)i * g.N;
        Store(c, g, start, column, row.V0, alpha, beta);
        Store(c, g, start, column + 1, row.V1, alpha, beta);
        Store(c, g, start, column + 8, row.V2, alpha, beta);
        Store(c, g, start, column + 9, row.V3, alpha, beta);
        Store(c, g, start, column + 16, row.V4, alpha, beta);
        Store(c, g, start, column + 17, row.V5, alpha, beta);
        Store(c, g, start, column + 24, row.V6, alpha, beta);
        Store(c, g, start, column + 25, row.V7, alpha, beta);
    }
}
