using System.Numerics;
using System.Runtime.CompilerServices;

namespace AutoDiff.Gpu.Kernels;

internal static unsafe partial class CpuRoutines
{
    /// <summary>
    /// Planes [start, start + count), (n, c) each, of average pooling between <paramref name="images"/> (H, W) and
    /// <paramref name="pooled"/> (OH, OW) planes: pooled[oh, ow] = (Σ of the window's elements)·(1 / (KH·KW)), the
    /// sum from 0 in row-major order over the elements inside the image (the padding adds zeros); or, with
    /// <paramref name="adjoint"/>, images[h, w] = Σ pooled[oh, ow]·(1 / (KH·KW)) over the windows that hold (h, w),
    /// added from 0 in the order of the windows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AveragePooling<T>(T* images, T* pooled, WindowGeometry g, bool adjoint, long start, long count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int plane = g.H * g.W, oh1 = g.OH, ow1 = g.OW;
        T scale = T.CreateTruncating(1.0 / (g.KH * g.KW));
        for (long item = start; item < start + count; item++)
        {
            T* image = images + (item * plane), window = pooled + (item * oh1 * ow1);
            if (adjoint)
                new Span<T>(image, plane).Clear();
            for (int oh = 0; oh < oh1; oh++)
            {
                var (h0, h1) = WindowSpan((oh * g.SH) - g.PH, g.KH, g.H);
                for (int ow = 0; ow < ow1; ow++, window++)
                {
                    var (w0, w1) = WindowSpan((ow * g.SW) - g.PW, g.KW, g.W);
                    T share = adjoint ? *window * scale : T.Zero, sum = T.Zero;
                    for (int h = h0; h < h1; h++)
                    {
                        T* row = image + (h * g.W);
                        for (int w = w0; w < w1; w++)
                        {
                            if (adjoint)
                                row[w] += share;
                            else
                                sum += row[w];
                        }
                    }
                    if (!adjoint)
                        *window = sum * scale;
                }
            }
        }
    }

    /// <summary>
    /// The part [first, last) of a window's rows (or columns) from <paramref name="start"/> that lies inside [0, size).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (int First, int Last) WindowSpan(int start, int kernel, int size) =>
        (Math.Max(0, start), Math.Min(size, start + kernel));
}

/// <summary>
/// Chunked average pooling, or its adjoint: items are image planes (see <see cref="CpuRoutines.AveragePooling{T}"/>).
/// </summary>
internal readonly unsafe struct AveragePoolingBody<T>(
    Address<T> images, Address<T> pooled, WindowGeometry g, bool adjoint) : ICpuBody
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public void Run(long start, long count) => CpuRoutines.AveragePooling<T>(images, pooled, g, adjoint, start, count);
}
