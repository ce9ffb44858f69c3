using System.Numerics;
using System.Runtime.CompilerServices;
using ILGPU.Frontend;

namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// The bodies of the CPU accelerator's chunked kernels that need more than ILGPU compiles: stack buffers,
/// <see cref="Vector{T}"/>, odometers over spans. ILGPU sees each as an opaque external call
/// (<see cref="ExternalAttribute"/>); the CPU accelerator runs a kernel as .NET code, so the call is a plain
/// call. GPU kernels never call these.
/// </summary>
internal static unsafe partial class CpuRoutines
{
    /// <summary>
    /// <c>y[C(i)] = op(a[A(i)], b[B(i)])</c> for launch elements i in [start, start + count): coordinates are
    /// computed once, then advanced like an odometer along runs of the innermost dimension.
    /// </summary>
    [External("AutoDiffCpuStrided")]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Strided<T, TOp>(T* a, T* b, T* y, StridedLayout layout, long start, long count, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IBinaryOperator
    {
        int rank = layout.Rank;
        if (rank == 0)
        {
            *y = op.Apply(*a, *b);
            return;
        }
        Span<int> size = stackalloc int[StridedLayout.MaxRank];
        Span<int> coordinate = stackalloc int[StridedLayout.MaxRank];
        Span<long> strideA = stackalloc long[StridedLayout.MaxRank];
        Span<long> strideB = stackalloc long[StridedLayout.MaxRank];
        Span<long> strideY = stackalloc long[StridedLayout.MaxRank];
        long oa = 0, ob = 0, oy = 0, rest = start;
        for (int d = 0; d < rank; d++)
        {
            size[d] = layout.Size(d);
            strideA[d] = layout.Stride(0, d);
            strideB[d] = layout.Stride(1, d);
            strideY[d] = layout.Stride(2, d);
            int c = (int)(rest % size[d]);
            rest /= size[d];
            coordinate[d] = c;
            oa += c * strideA[d];
            ob += c * strideB[d];
            oy += c * strideY[d];
        }

        long sa = strideA[0], sb = strideB[0], sy = strideY[0];
        int inner = size[0];
        while (count > 0)
        {
            int run = (int)Math.Min(inner - coordinate[0], count);
            T* pa = a + oa;
            T* pb = b + ob;
            T* py = y + oy;
            if (sa == 1 && sb == 1 && sy == 1)
            {
                for (int j = 0; j < run; j++)
                    py[j] = op.Apply(pa[j], pb[j]);
            }
            else if (sa == 1 && sb == 0 && sy == 1)
            {
                T vb = *pb;
                for (int j = 0; j < run; j++)
                    py[j] = op.Apply(pa[j], vb);
            }
            else
            {
                for (int j = 0; j < run; j++)
                    py[j * sy] = op.Apply(pa[j * sa], pb[j * sb]);
            }
            count -= run;
            coordinate[0] += run;
            oa += run * sa;
            ob += run * sb;
            oy += run * sy;
            // Carry into the outer dimensions.
            for (int d = 0; d < rank - 1 && coordinate[d] == size[d]; d++)
            {
                oa += strideA[d + 1] - (size[d] * strideA[d]);
                ob += strideB[d + 1] - (size[d] * strideB[d]);
                oy += strideY[d + 1] - (size[d] * strideY[d]);
                coordinate[d] = 0;
                coordinate[d + 1]++;
            }
        }
    }
}
