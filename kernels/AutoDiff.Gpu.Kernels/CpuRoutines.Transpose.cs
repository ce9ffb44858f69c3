using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AutoDiff.Gpu.Kernels;

internal static unsafe partial class CpuRoutines
{
    /// <summary>
    /// to[c·toRow + r] = from[r·fromRow + c] for r &lt; rows, c &lt; columns: in 8×8 blocks of floats or 4×4 of
    /// doubles shuffled in registers where the CPU has AVX, the edges one element at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Transpose<T>(T* from, long fromRow, int rows, int columns, T* to, long toRow)
        where T : unmanaged
    {
        int block = Avx.IsSupported ? 32 / sizeof(T) : 1;
        int r = 0;
        if (block > 1)
        {
            for (; r + block <= rows; r += block)
            {
                int c = 0;
                for (; c + block <= columns; c += block)
                {
                    T* source = from + (r * fromRow) + c, target = to + (c * toRow) + r;
                    if (typeof(T) == typeof(float))
                        Transpose8((float*)source, fromRow, (float*)target, toRow);
                    else
                        Transpose4((double*)source, fromRow, (double*)target, toRow);
                }
                for (; c < columns; c++)
                {
                    for (int i = r; i < r + block; i++)
                        to[(c * toRow) + i] = from[(i * fromRow) + c];
                }
            }
        }
        for (; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
                to[(c * toRow) + r] = from[(r * fromRow) + c];
        }
    }

    /// <summary>An 8×8 block of floats transposed: rows <paramref name="fromRow"/> and
    /// <paramref name="toRow"/> apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8(float* from, long fromRow, float* to, long toRow)
    {
        Vector256<float> r0 = Avx.LoadVector256(from), r1 = Avx.LoadVector256(from + fromRow);
        Vector256<float> r2 = Avx.LoadVector256(from + (2 * fromRow)), r3 = Avx.LoadVector256(from + (3 * fromRow));
        Vector256<float> r4 = Avx.LoadVector256(from + (4 * fromRow)), r5 = Avx.LoadVector256(from + (5 * fromRow));
        Vector256<float> r6 = Avx.LoadVector256(from + (6 * fromRow)), r7 = Avx.LoadVector256(from + (7 * fromRow));
        // Pairs of rows interleaved, then pairs of pairs, then the 128-bit halves exchanged.
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
        Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE);
        Vector256<float> u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(to, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(to + toRow, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(to + (2 * toRow), Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(to + (3 * toRow), Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(to + (4 * toRow), Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(to + (5 * toRow), Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(to + (6 * toRow), Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(to + (7 * toRow), Avx.Permute2x128(u3, u7, 0x31));
    }

    /// <summary>A 4×4 block of doubles transposed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4(double* from, long fromRow, double* to, long toRow)
    {
        Vector256<double> r0 = Avx.LoadVector256(from), r1 = Avx.LoadVector256(from + fromRow);
        Vector256<double> r2 = Avx.LoadVector256(from + (2 * fromRow)), r3 = Avx.LoadVector256(from + (3 * fromRow));
        Vector256<double> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<double> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Avx.Store(to, Avx.Permute2x128(t0, t2, 0x20));
        Avx.Store(to + toRow, Avx.Permute2x128(t1, t3, 0x20));
        Avx.Store(to + (2 * toRow), Avx.Permute2x128(t0, t2, 0x31));
        Avx.Store(to + (3 * toRow), Avx.Permute2x128(t1, t3, 0x31));
    }
}
