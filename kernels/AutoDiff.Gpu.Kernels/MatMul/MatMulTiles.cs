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

    /// <summary>Elements between op(A)[i, p] and op(A)[i + 1, p].</summary>
    public long ARow => TransposeA != 0 ? 1 : K;

    /// <summary>Elements between op(A)[i, p] and op(A)[i, p + 1].</summary>
    public long ADepth => TransposeA != 0 ? M : 1;

    /// <summary>Elements between op(B)[p, j] and op(B)[p, j + 1].</summary>
    public long BColumn => TransposeB != 0 ? K : 1;

    /// <summary>Elements between op(B)[p, j] and op(B)[p + 1, j].</summary>
    public long BDepth => TransposeB != 0 ? 1 : N;
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
