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
public readonly record struct MatMulGeometry(int M, int N, int K, int TransposeA, int TransposeB)
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
public interface IMatMulTile
{
    /// <summary>Rows of C per group (a multiple of 8).</summary>
    static abstract int BlockM { get; }

    /// <summary>Columns of C per group (a multiple of 8).</summary>
    static abstract int BlockN { get; }

    /// <summary>Depth of one step through K.</summary>
    static abstract int BlockK { get; }

    /// <summary>Elements of the shared A tile, BlockK·BlockM.</summary>
    static abstract int SharedA { get; }

    /// <summary>Elements of the shared B tile, BlockK·BlockN.</summary>
    static abstract int SharedB { get; }
}

/// <summary>128×128 blocks, K steps of 8, 256 threads: float32 on GPUs.</summary>
public readonly struct LargeTile : IMatMulTile
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
}

/// <summary>64×64 blocks, K steps of 8, 64 threads: float64 on GPUs (twice the registers per accumulator).</summary>
public readonly struct MediumTile : IMatMulTile
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
}

/// <summary>16×8 blocks, K steps of 4, 2 threads: the same kernel on accelerators with tiny groups (the CPU accelerator).</summary>
public readonly struct SmallTile : IMatMulTile
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
}

/// <summary>Eight values held in registers: a row of a thread's register tile, or a fragment of A or B.</summary>
/// <typeparam name="T">The element type.</typeparam>
public struct Row8<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The values.</summary>
    public T V0, V1, V2, V3, V4, V5, V6, V7;

    /// <summary>Elements [first, first+4) and [second, second+4) of <paramref name="shared"/>, as four-element loads (both multiples of 4).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Row8<T> Load(ArrayView<T> shared, int first, int second)
    {
        var quads = shared.Cast<Quad<T>>();
        var a = quads[first / 4];
        var b = quads[second / 4];
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

/// <summary>The matrix-product kernels (see <see cref="MatMulGeometry"/>).</summary>
public static unsafe class MatMulKernels
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
        var sharedA = SharedMemory.Allocate<T>(TTile.SharedA);
        var sharedB = SharedMemory.Allocate<T>(TTile.SharedB);
        int blockM = TTile.BlockM, blockN = TTile.BlockN, blockK = TTile.BlockK;
        int threads = Group.DimX;
        int thread = Group.IdxX;
        int tilesN = (g.N + blockN - 1) / blockN;
        int m0 = Grid.IdxX / tilesN * blockM;
        int n0 = (Grid.IdxX % tilesN) * blockN;
        int tx = thread % (blockN / 8);
        int ty = thread / (blockN / 8);
        int rowA = 4 * ty, rowB = (blockM / 2) + (4 * ty);
        int columnA = 4 * tx, columnB = (blockN / 2) + (4 * tx);

        Row8<T> r0 = default, r1 = default, r2 = default, r3 = default, r4 = default, r5 = default, r6 = default, r7 = default;
        for (int k0 = 0; k0 < g.K; k0 += blockK)
        {
            // Stage op(A)[m0.., k0..] as sharedA[kk·BlockM + m], reading along A's contiguous axis.
            for (int e = thread; e < blockM * blockK; e += threads)
            {
                int m, kk;
                if (g.TransposeA != 0)
                {
                    kk = e / blockM;
                    m = e - (kk * blockM);
                }
                else
                {
                    m = e / blockK;
                    kk = e - (m * blockK);
                }
                int i = m0 + m, p = k0 + kk;
                sharedA[(kk * blockM) + m] = i < g.M && p < g.K ? a[g.IndexA(i, p)] : T.Zero;
            }
            // Stage op(B)[k0.., n0..] as sharedB[kk·BlockN + n].
            for (int e = thread; e < blockN * blockK; e += threads)
            {
                int n, kk;
                if (g.TransposeB != 0)
                {
                    n = e / blockK;
                    kk = e - (n * blockK);
                }
                else
                {
                    kk = e / blockN;
                    n = e - (kk * blockN);
                }
                int j = n0 + n, p = k0 + kk;
                sharedB[(kk * blockN) + n] = j < g.N && p < g.K ? b[g.IndexB(p, j)] : T.Zero;
            }
            Group.Barrier();
            for (int kk = 0; kk < blockK; kk++)
            {
                var av = Row8<T>.Load(sharedA, (kk * blockM) + rowA, (kk * blockM) + rowB);
                var bv = Row8<T>.Load(sharedB, (kk * blockN) + columnA, (kk * blockN) + columnB);
                r0 = Row8<T>.MultiplyAdd(r0, av.V0, bv);
                r1 = Row8<T>.MultiplyAdd(r1, av.V1, bv);
                r2 = Row8<T>.MultiplyAdd(r2, av.V2, bv);
                r3 = Row8<T>.MultiplyAdd(r3, av.V3, bv);
                r4 = Row8<T>.MultiplyAdd(r4, av.V4, bv);
                r5 = Row8<T>.MultiplyAdd(r5, av.V5, bv);
                r6 = Row8<T>.MultiplyAdd(r6, av.V6, bv);
                r7 = Row8<T>.MultiplyAdd(r7, av.V7, bv);
            }
            Group.Barrier();
        }

        int columnC = n0 + columnA, columnD = n0 + columnB;
        StoreRow(c, g, r0, m0 + rowA, columnC, columnD, alpha, beta);
        StoreRow(c, g, r1, m0 + rowA + 1, columnC, columnD, alpha, beta);
        StoreRow(c, g, r2, m0 + rowA + 2, columnC, columnD, alpha, beta);
        StoreRow(c, g, r3, m0 + rowA + 3, columnC, columnD, alpha, beta);
        StoreRow(c, g, r4, m0 + rowB, columnC, columnD, alpha, beta);
        StoreRow(c, g, r5, m0 + rowB + 1, columnC, columnD, alpha, beta);
        StoreRow(c, g, r6, m0 + rowB + 2, columnC, columnD, alpha, beta);
        StoreRow(c, g, r7, m0 + rowB + 3, columnC, columnD, alpha, beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<T>(ArrayView<T> c, MatMulGeometry g, Row8<T> row, int i, int columnA, int columnB, T alpha, T beta)
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
