using System.Numerics;
using System.Runtime.CompilerServices;

namespace AutoDiff.Gpu.Kernels;

internal static unsafe partial class CpuRoutines
{
    /// <summary>
    /// Rows [start, start + count) of the column matrix, one window (n, oh, ow) each: for every (c, kh), the KW
    /// elements of image row h = oh·SH + kh − PH from column ow·SW − PW on, zero where they fall in the padding.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Im2col<T>(T* x, T* col, WindowGeometry g, long start, long count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int oh1 = g.OH, ow1 = g.OW, column = g.Column;
        for (long row = start; row < start + count; row++)
        {
            int ow = (int)(row % ow1), oh = (int)(row / ow1 % oh1);
            long n = row / ow1 / oh1;
            int h0 = (oh * g.SH) - g.PH, w0 = (ow * g.SW) - g.PW;
            // The kernel columns [kw0, kw1) fall inside the image.
            int kw0 = Math.Max(0, -w0), kw1 = Math.Min(g.KW, g.W - w0);
            T* target = col + (row * column);
            for (int c = 0; c < g.C; c++)
            {
                T* image = x + (((n * g.C) + c) * g.H * g.W) + w0;
                for (int kh = 0; kh < g.KH; kh++, target += g.KW)
                {
                    int h = h0 + kh;
                    if (h < 0 || h >= g.H || kw0 >= kw1)
                    {
                        new Span<T>(target, g.KW).Clear();
                        continue;
                    }
                    T* source = image + ((long)h * g.W);
                    int kw = 0;
                    for (; kw < kw0; kw++)
                        target[kw] = T.Zero;
                    for (; kw < kw1; kw++)
                        target[kw] = source[kw];
                    for (; kw < g.KW; kw++)
                        target[kw] = T.Zero;
                }
            }
        }
    }

    /// <summary>
    /// Image rows [start, start + count), (n, c, h) each, of col2im: every element is the sum of the column-matrix
    /// elements that read it, added from 0 in the order of their windows (oh, ow) — the order a scatter of the
    /// rows one after the other adds them in — so no two threads write one element.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Col2im<T>(T* col, T* x, WindowGeometry g, long start, long count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int oh1 = g.OH, ow1 = g.OW, column = g.Column;
        for (long row = start; row < start + count; row++)
        {
            int h = (int)(row % g.H), c = (int)(row / g.H % g.C);
            long n = row / g.H / g.C;
            T* target = x + (row * g.W);
            // Windows ascending: kh (and kw) descending.
            for (int w = 0; w < g.W; w++)
            {
                T sum = T.Zero;
                for (int kh = g.KH - 1; kh >= 0; kh--)
                {
                    int hs = h + g.PH - kh;
                    if (hs < 0 || hs % g.SH != 0 || hs / g.SH >= oh1)
                        continue;
                    T* windows = col + ((((n * oh1) + (hs / g.SH)) * ow1) * column) + (((c * g.KH) + kh) * g.KW);
                    for (int kw = g.KW - 1; kw >= 0; kw--)
                    {
                        int ws = w + g.PW - kw;
                        if (ws >= 0 && ws % g.SW == 0 && ws / g.SW < ow1)
                            sum += windows[((long)(ws / g.SW) * column) + kw];
                    }
                }
                target[w] = sum;
            }
        }
    }
}

/// <summary>Chunked im2col: items are rows of the column matrix (see <see cref="CpuRoutines.Im2col{T}"/>).</summary>
internal readonly unsafe struct Im2colBody<T>(Address<T> x, Address<T> col, WindowGeometry g) : ICpuBody
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public void Run(long start, long count) => CpuRoutines.Im2col<T>(x, col, g, start, count);
}

/// <summary>Chunked col2im: items are image rows (see <see cref="CpuRoutines.Col2im{T}"/>).</summary>
internal readonly unsafe struct Col2imBody<T>(Address<T> col, Address<T> x, WindowGeometry g) : ICpuBody
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public void Run(long start, long count) => CpuRoutines.Col2im<T>(col, x, g, start, count);
}
