using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;

namespace AutoDiff.Gpu.Kernels;

internal static unsafe partial class CpuRoutines
{
    /// <summary>Rows of C per work item of the blocked product.</summary>
    public const int BlockM = 64;

    /// <summary>Columns of C per work item of the blocked product.</summary>
    public const int BlockN = 256;

    /// <summary>Depth of one packed panel.</summary>
    private const int BlockK = 256;

    /// <summary>Vectors across a register tile of <see cref="Tiles{T}"/>.</summary>
    private const int Strip = 3;

    /// <summary>Products of at most this many multiply-adds skip the packing, which costs more than they do.</summary>
    private const long SmallProduct = 8192;

    /// <summary>
    /// Blocks [start, start + count) of <c>C = alpha·op(A)·op(B) + beta·C</c>: per block of C and panel of K,
    /// op(A) and op(B) are packed row-major (zero-padded to the register tile), then a 4-row × 3-vector
    /// register tile accumulates with fused multiply-adds into the block's accumulator.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MatMul<T>(T* pa, T* pb, T* pc, MatMulGeometry g, T alpha, T beta, long start, long count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if ((long)g.M * g.N * g.K <= SmallProduct)
        {
            SmallMatMul(pa, pb, pc, g, alpha, beta, start, count);
            return;
        }
        int lanes = Vector<T>.Count;
        int strip = Strip * lanes;
        int blocksN = (g.N + BlockN - 1) / BlockN;
        int paddedN = RoundUp(BlockN, strip);
        T[] panelA = ArrayPool<T>.Shared.Rent(BlockM * BlockK);
        T[] panelB = ArrayPool<T>.Shared.Rent(BlockK * paddedN);
        T[] block = ArrayPool<T>.Shared.Rent(BlockM * paddedN);
        try
        {
            fixed (T* packedA = panelA)
            fixed (T* packedB = panelB)
            fixed (T* acc = block)
            {
                for (long item = start; item < start + count; item++)
                {
                    int i0 = (int)(item / blocksN) * BlockM;
                    int j0 = (int)(item % blocksN) * BlockN;
                    int rows = Math.Min(BlockM, g.M - i0);
                    int columns = Math.Min(BlockN, g.N - j0);
                    int width = RoundUp(columns, strip);
                    int height = RoundUp(rows, 4);
                    new Span<T>(acc, height * width).Clear();
                    for (int p0 = 0; p0 < g.K; p0 += BlockK)
                    {
                        int depth = Math.Min(BlockK, g.K - p0);
                        PackA(pa, g, packedA, i0, rows, height, p0, depth);
                        PackB(pb, g, packedB, j0, columns, width, p0, depth);
                        Tiles(packedA, packedB, acc, height, width, depth);
                    }
                    for (int i = 0; i < rows; i++)
                    {
                        T* target = pc + ((long)(i0 + i) * g.N) + j0;
                        T* source = acc + (i * width);
                        for (int j = 0; j < columns; j++)
                            Store(target + j, source[j], alpha, beta);
                    }
                }
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(panelA);
            ArrayPool<T>.Shared.Return(panelB);
            ArrayPool<T>.Shared.Return(block);
        }
    }

    /// <summary>
    /// Blocks [start, start + count) of a small product, one dot product per element of C. The multiply-adds
    /// run in the same order as the blocked product's (fused, p ascending, from 0), so the results are the same.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SmallMatMul<T>(T* a, T* b, T* c, MatMulGeometry g, T alpha, T beta, long start, long count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int blocksN = (g.N + BlockN - 1) / BlockN;
        // Element strides of op(A)[i, p] and op(B)[p, j] along each index.
        long ai = g.TransposeA != 0 ? 1 : g.K, ap = g.TransposeA != 0 ? g.M : 1;
        long bp = g.TransposeB != 0 ? 1 : g.N, bj = g.TransposeB != 0 ? g.K : 1;
        for (long item = start; item < start + count; item++)
        {
            int i0 = (int)(item / blocksN) * BlockM;
            int j0 = (int)(item % blocksN) * BlockN;
            int i1 = Math.Min(g.M, i0 + BlockM), j1 = Math.Min(g.N, j0 + BlockN);
            for (int i = i0; i < i1; i++)
            {
                T* target = c + ((long)i * g.N);
                int j = j0;
                // Four columns at a time: four independent chains of multiply-adds hide their latency.
                for (; j + 4 <= j1; j += 4)
                {
                    T* x = a + (i * ai);
                    T* y = b + (j * bj);
                    T s0 = T.Zero, s1 = T.Zero, s2 = T.Zero, s3 = T.Zero;
                    for (int p = 0; p < g.K; p++, x += ap, y += bp)
                    {
                        T v = *x;
                        s0 = T.FusedMultiplyAdd(v, y[0], s0);
                        s1 = T.FusedMultiplyAdd(v, y[bj], s1);
                        s2 = T.FusedMultiplyAdd(v, y[2 * bj], s2);
                        s3 = T.FusedMultiplyAdd(v, y[3 * bj], s3);
                    }
                    Store(target + j, s0, alpha, beta);
                    Store(target + j + 1, s1, alpha, beta);
                    Store(target + j + 2, s2, alpha, beta);
                    Store(target + j + 3, s3, alpha, beta);
                }
                for (; j < j1; j++)
                {
                    T* x = a + (i * ai);
                    T* y = b + (j * bj);
                    T sum = T.Zero;
                    for (int p = 0; p < g.K; p++, x += ap, y += bp)
                        sum = T.FusedMultiplyAdd(*x, *y, sum);
                    Store(target + j, sum, alpha, beta);
                }
            }
        }
    }

    /// <summary>c = alpha·sum + beta·c; beta = 0 never reads c.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T>(T* c, T sum, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        *c = beta == T.Zero ? alpha * sum : (alpha * sum) + (beta * *c);

    /// <summary>
    /// acc[height×width] += packedA[height×depth] · packedB[depth×width], 4 rows × 3 vectors at a time: 12 accumulators,
    /// enough independent fused multiply-adds to cover their latency on two FMA pipes, and 7 loads per 12 of them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tiles<T>(T* packedA, T* packedB, T* acc, int height, int width, int depth)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int lanes = Vector<T>.Count;
        for (int j = 0; j < width; j += Strip * lanes)
        {
            for (int i = 0; i < height; i += 4)
            {
                T* t0 = acc + (i * width) + j, t1 = t0 + width, t2 = t1 + width, t3 = t2 + width;
                Vector<T> c00 = Vector.Load(t0), c01 = Vector.Load(t0 + lanes), c02 = Vector.Load(t0 + (2 * lanes));
                Vector<T> c10 = Vector.Load(t1), c11 = Vector.Load(t1 + lanes), c12 = Vector.Load(t1 + (2 * lanes));
                Vector<T> c20 = Vector.Load(t2), c21 = Vector.Load(t2 + lanes), c22 = Vector.Load(t2 + (2 * lanes));
                Vector<T> c30 = Vector.Load(t3), c31 = Vector.Load(t3 + lanes), c32 = Vector.Load(t3 + (2 * lanes));
                T* a0 = packedA + (i * depth), a1 = a0 + depth, a2 = a1 + depth, a3 = a2 + depth;
                T* bp = packedB + j;
                for (int p = 0; p < depth; p++, bp += width)
                {
                    var b0 = Vector.Load(bp);
                    var b1 = Vector.Load(bp + lanes);
                    var b2 = Vector.Load(bp + (2 * lanes));
                    var x = new Vector<T>(a0[p]);
                    c00 = MultiplyAdd(x, b0, c00);
                    c01 = MultiplyAdd(x, b1, c01);
                    c02 = MultiplyAdd(x, b2, c02);
                    x = new Vector<T>(a1[p]);
                    c10 = MultiplyAdd(x, b0, c10);
                    c11 = MultiplyAdd(x, b1, c11);
                    c12 = MultiplyAdd(x, b2, c12);
                    x = new Vector<T>(a2[p]);
                    c20 = MultiplyAdd(x, b0, c20);
                    c21 = MultiplyAdd(x, b1, c21);
                    c22 = MultiplyAdd(x, b2, c22);
                    x = new Vector<T>(a3[p]);
                    c30 = MultiplyAdd(x, b0, c30);
                    c31 = MultiplyAdd(x, b1, c31);
                    c32 = MultiplyAdd(x, b2, c32);
                }
                StoreRow(t0, lanes, c00, c01, c02);
                StoreRow(t1, lanes, c10, c11, c12);
                StoreRow(t2, lanes, c20, c21, c22);
                StoreRow(t3, lanes, c30, c31, c32);
            }
        }
    }

    /// <summary>Vectors of a register tile's row, stored side by side.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<T>(T* target, int lanes, Vector<T> v0, Vector<T> v1, Vector<T> v2)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector.Store(v0, target);
        Vector.Store(v1, target + lanes);
        Vector.Store(v2, target + (2 * lanes));
    }

    /// <summary>packed[i·depth + p] = op(A)[i0 + i, p0 + p], zero for rows past the matrix.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackA<T>(T* a, MatMulGeometry g, T* packed, int i0, int rows, int height, int p0, int depth)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < height; i++)
        {
            var target = new Span<T>(packed + (i * depth), depth);
            if (i >= rows)
                target.Clear();
            else if (g.TransposeA == 0)
                new ReadOnlySpan<T>(a + g.IndexA(i0 + i, p0), depth).CopyTo(target);
            else
            {
                for (int p = 0; p < depth; p++)
                    target[p] = a[g.IndexA(i0 + i, p0 + p)];
            }
        }
    }

    /// <summary>packed[p·width + j] = op(B)[p0 + p, j0 + j], zero for columns past the matrix.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackB<T>(T* b, MatMulGeometry g, T* packed, int j0, int columns, int width, int p0, int depth)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int p = 0; p < depth; p++)
        {
            var target = new Span<T>(packed + (p * width), width);
            if (g.TransposeB == 0)
                new ReadOnlySpan<T>(b + g.IndexB(p0 + p, j0), columns).CopyTo(target);
            else
            {
                for (int j = 0; j < columns; j++)
                    target[j] = b[g.IndexB(p0 + p, j0 + j)];
            }
            target[columns..].Clear();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> MultiplyAdd<T>(Vector<T> a, Vector<T> b, Vector<T> c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
            return Vector.As<float, T>(Vector.FusedMultiplyAdd(Vector.As<T, float>(a), Vector.As<T, float>(b), Vector.As<T, float>(c)));
        if (typeof(T) == typeof(double))
            return Vector.As<double, T>(Vector.FusedMultiplyAdd(Vector.As<T, double>(a), Vector.As<T, double>(b), Vector.As<T, double>(c)));
        return (a * b) + c;
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}

/// <summary>Chunked blocked product: items are blocks of C (see <see cref="CpuRoutines.MatMul{T}"/>).</summary>
internal readonly unsafe struct MatMulBody<T>(Address<T> a, Address<T> b, Address<T> c, MatMulGeometry g, T alpha, T beta) : ICpuBody
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public void Run(long start, long count) => CpuRoutines.MatMul<T>(a, b, c, g, alpha, beta, start, count);
}
