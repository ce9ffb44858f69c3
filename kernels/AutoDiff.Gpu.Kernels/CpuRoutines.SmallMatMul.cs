using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AutoDiff.Gpu.Kernels;

internal static unsafe partial class CpuRoutines
{
    /// <summary>
    /// Rows [start, start + count) of a small product: every element of C is one chain of fused multiply-adds in
    /// depth order from 0, as the packed product adds. Independent chains run side by side: a vector of columns
    /// where op(B)'s rows are contiguous, else four columns, or four rows where C has fewer than four columns.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SmallMatMul<T>(T* a, T* b, T* c, MatMulGeometry g, T alpha, T beta, long start, long count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var s = new SmallStrides(g);
        long i = start, end = start + count;
        if (g.N < 4)
        {
            for (; i + 4 <= end; i += 4)
            {
                for (int j = 0; j < g.N; j++)
                    SmallColumn4(a + (i * s.Ai), b + (j * s.Bj), c + (i * g.N) + j, g, s, alpha, beta);
            }
        }
        for (; i < end; i++)
            SmallRow(a + (i * s.Ai), b, c + (i * g.N), g, s, alpha, beta);
    }

    /// <summary>A row of a small product: op(A)'s row <paramref name="x"/> into C's row <paramref name="target"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SmallRow<T>(T* x, T* b, T* target, MatMulGeometry g, SmallStrides s, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int j = 0;
        if (s.Bj == 1 && Vector256.IsHardwareAccelerated)
        {
            for (; j + Vector256<T>.Count <= g.N; j += Vector256<T>.Count)
            {
                var sum = Vector256<T>.Zero;
                T* v = x, y = b + j;
                for (int p = 0; p < g.K; p++, v += s.Ap, y += s.Bp)
                    sum = TileSimd256<T>.MultiplyAdd(Vector256.Create(*v), Vector256.Load(y), sum);
                StoreVector(target + j, sum, alpha, beta);
            }
        }
        // Four columns at a time: four independent chains of multiply-adds hide their latency.
        for (; j + 4 <= g.N; j += 4)
        {
            T* v = x, y = b + (j * s.Bj);
            T s0 = T.Zero, s1 = T.Zero, s2 = T.Zero, s3 = T.Zero;
            for (int p = 0; p < g.K; p++, v += s.Ap, y += s.Bp)
            {
                s0 = T.FusedMultiplyAdd(*v, y[0], s0);
                s1 = T.FusedMultiplyAdd(*v, y[s.Bj], s1);
                s2 = T.FusedMultiplyAdd(*v, y[2 * s.Bj], s2);
                s3 = T.FusedMultiplyAdd(*v, y[3 * s.Bj], s3);
            }
            Store(target + j, s0, alpha, beta);
            Store(target + j + 1, s1, alpha, beta);
            Store(target + j + 2, s2, alpha, beta);
            Store(target + j + 3, s3, alpha, beta);
        }
        if (j < g.N)
            SmallTail(x, b + (j * s.Bj), target + j, g, s, g.N - j, alpha, beta);
    }

    /// <summary>
    /// The last one to three elements of a row of a small product, side by side: three chains of multiply-adds (the
    /// unused ones read column 0 and are dropped), so none waits for another, each element summed as before.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SmallTail<T>(
        T* x, T* y, T* target, MatMulGeometry g, SmallStrides s, int columns, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long second = columns > 1 ? s.Bj : 0, third = columns > 2 ? 2 * s.Bj : 0;
        T s0 = T.Zero, s1 = T.Zero, s2 = T.Zero;
        for (int p = 0; p < g.K; p++, x += s.Ap, y += s.Bp)
        {
            T v = *x;
            s0 = T.FusedMultiplyAdd(v, y[0], s0);
            s1 = T.FusedMultiplyAdd(v, y[second], s1);
            s2 = T.FusedMultiplyAdd(v, y[third], s2);
        }
        Store(target, s0, alpha, beta);
        if (columns > 1)
            Store(target + 1, s1, alpha, beta);
        if (columns > 2)
            Store(target + 2, s2, alpha, beta);
    }

    /// <summary>One column of four rows of a small product: four chains side by side, each summed as before.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SmallColumn4<T>(T* x, T* y, T* target, MatMulGeometry g, SmallStrides s, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* x1 = x + s.Ai, x2 = x1 + s.Ai, x3 = x2 + s.Ai;
        T s0 = T.Zero, s1 = T.Zero, s2 = T.Zero, s3 = T.Zero;
        long at = 0;
        for (int p = 0; p < g.K; p++, at += s.Ap, y += s.Bp)
        {
            T v = *y;
            s0 = T.FusedMultiplyAdd(x[at], v, s0);
            s1 = T.FusedMultiplyAdd(x1[at], v, s1);
            s2 = T.FusedMultiplyAdd(x2[at], v, s2);
            s3 = T.FusedMultiplyAdd(x3[at], v, s3);
        }
        Store(target, s0, alpha, beta);
        Store(target + g.N, s1, alpha, beta);
        Store(target + (2 * g.N), s2, alpha, beta);
        Store(target + (3 * g.N), s3, alpha, beta);
    }

    /// <summary>The scalar <see cref="Store{T}"/>'s arithmetic, lane by lane: the same bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreVector<T>(T* c, Vector256<T> sum, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var scaled = Vector256.Create(alpha) * sum;
        (beta == T.Zero ? scaled : scaled + (Vector256.Create(beta) * Vector256.Load(c))).Store(c);
    }

    /// <summary>The geometry's element strides of op(A)[i, p] and op(B)[p, j], read once.</summary>
    private readonly struct SmallStrides(MatMulGeometry g)
    {
        public readonly long Ai = g.ARow, Ap = g.ADepth, Bp = g.BDepth, Bj = g.BColumn;
    }
}

/// <summary>Chunked small product: items are rows of C (see <see cref="CpuRoutines.SmallMatMul{T}"/>).</summary>
internal readonly unsafe struct SmallMatMulBody<T>(
    Address<T> a, Address<T> b, Address<T> c, MatMulGeometry g, T alpha, T beta) : ICpuBody
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public void Run(long start, long count) => CpuRoutines.SmallMatMul<T>(a, b, c, g, alpha, beta, start, count);
}
