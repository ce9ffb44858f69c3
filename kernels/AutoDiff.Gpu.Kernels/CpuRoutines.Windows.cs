using System.Numerics;
using System.Runtime.CompilerServices;

namespace AutoDiff.Gpu.Kernels;

internal static unsafe partial class CpuRoutines
{
    /// <summary>
    /// Rows [start, start + count) of the column matrix, one window (n, oh, ow) each: for every (c, kh), the KW
    /// elements of image row h = oh·SH + kh − PH from column ow·SW − PW on, zero where they fall in the padding.
    /// (Pointers into the padding are formed but never read.)
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Im2col<T>(T* x, T* col, WindowGeometry g, long start, long count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int oh1 = g.OH, ow1 = g.OW, kw = g.KW, plane = g.H * g.W;
        for (long row = start; row < start + count; row++)
        {
            int ow = (int)(row % ow1), oh = (int)(row / ow1 % oh1);
            long n = row / ow1 / oh1;
            int h0 = (oh * g.SH) - g.PH, w0 = (ow * g.SW) - g.PW;
            // The kernel rows [kh0, kh1) and columns [kw0, kw1) fall inside the image; the rest reads the padding.
            int kh0 = Math.Max(0, -h0), kh1 = Math.Min(g.KH, g.H - h0);
            int kw0 = Math.Max(0, -w0), kw1 = Math.Min(kw, g.W - w0);
            bool whole = kw0 == 0 && kw1 == kw;
            // A 3-wide row with a 4th element inside the image row: copied as 4, the 4th overwritten by the next row.
            bool four = whole && kw == 3 && w0 + 4 <= g.W;
            T* last = col + ((row + 1) * g.Column) - kw;
            T* target = col + (row * g.Column);
            T* image = x + (n * g.C * plane) + (h0 * g.W) + w0;
            for (int c = 0; c < g.C; c++, image += plane)
            {
                for (int kh = 0; kh < g.KH; kh++, target += kw)
                {
                    T* source = image + (kh * g.W);
                    if (kh < kh0 || kh >= kh1 || kw0 >= kw1)
                    {
                        for (int k = 0; k < kw; k++)
                            target[k] = T.Zero;
                    }
                    else if (four && target != last)
                    {
                        Unsafe.CopyBlockUnaligned(target, source, (uint)(4 * sizeof(T)));
                    }
                    else if (whole && kw == 3)
                    {
                        // The common 3-wide window inside the image: three moves.
                        target[0] = source[0];
                        target[1] = source[1];
                        target[2] = source[2];
                    }
                    else
                    {
                        for (int k = 0; k < kw; k++)
                            target[k] = k >= kw0 && k < kw1 ? source[k] : T.Zero;
                    }
                }
            }
        }
    }

    /// <summary>
    /// Image planes [start, start + count), (n, c) each, of col2im: the plane is cleared, then every window (oh, ow)
    /// of image n, in order, adds its (c, kh, kw) elements where im2col read them — the order of a serial scatter of
    /// the rows — and only this item writes the plane.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Col2im<T>(T* col, T* x, WindowGeometry g, long start, long count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int oh1 = g.OH, ow1 = g.OW, column = g.Column, plane = g.H * g.W;
        for (long item = start; item < start + count; item++)
        {
            long n = item / g.C;
            int c = (int)(item % g.C);
            T* target = x + (item * plane);
            new Span<T>(target, plane).Clear();
            T* window = col + (n * oh1 * ow1 * column) + (c * g.KH * g.KW);
            for (int oh = 0; oh < oh1; oh++)
            {
                for (int ow = 0; ow < ow1; ow++, window += column)
                {
                    int h0 = (oh * g.SH) - g.PH, w0 = (ow * g.SW) - g.PW;
                    int kw0 = Math.Max(0, -w0), kw1 = Math.Min(g.KW, g.W - w0);
                    T* source = window;
                    for (int kh = 0; kh < g.KH; kh++, source += g.KW)
                    {
                        int h = h0 + kh;
                        if (h < 0 || h >= g.H)
                            continue;
                        T* row = target + (h * g.W) + w0;
                        for (int kw = kw0; kw < kw1; kw++)
                            row[kw] += source[kw];
                    }
                }
            }
        }
    }

    /// <summary>
    /// Planes [start, start + count), (n, c) each, of max pooling: for every window (oh, ow), the offset in x of its
    /// first greatest element (kh, kw row-major), or of its first NaN; <see cref="int.MaxValue"/> where that element
    /// is a zero of the padding.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxPoolingIndices<T>(T* x, int* indices, WindowGeometry g, long start, long count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // The geometry's sizes as locals: OH and OW are computed properties.
        int plane = g.H * g.W, oh1 = g.OH, ow1 = g.OW, height = g.H, width = g.W, kh1 = g.KH, kw1 = g.KW;
        for (long item = start; item < start + count; item++)
        {
            T* image = x + (item * plane);
            int* target = indices + (item * oh1 * ow1);
            int first = (int)(item * plane);
            for (int oh = 0; oh < oh1; oh++)
            {
                int h0 = (oh * g.SH) - g.PH;
                for (int ow = 0; ow < ow1; ow++, target++)
                {
                    int w0 = (ow * g.SW) - g.PW;
                    if (h0 >= 0 && w0 >= 0 && h0 + kh1 <= height && w0 + kw1 <= width)
                    {
                        *target = first + (h0 * width) + w0 + Greatest(image + (h0 * width) + w0, width, kh1, kw1);
                        continue;
                    }
                    T best = T.Zero;
                    int at = int.MaxValue;
                    bool none = true;
                    for (int kh = 0; kh < g.KH; kh++)
                    {
                        int h = h0 + kh;
                        bool row = h >= 0 && h < g.H;
                        for (int kw = 0; kw < g.KW; kw++)
                        {
                            int w = w0 + kw;
                            bool inside = row && w >= 0 && w < g.W;
                            T v = inside ? image[(h * g.W) + w] : T.Zero;
                            // The first NaN wins and stays; otherwise only a greater element replaces the best.
                            if (none || (!T.IsNaN(best) && (T.IsNaN(v) || v > best)))
                                (best, at, none) = (v, inside ? first + (h * g.W) + w : int.MaxValue, false);
                        }
                    }
                    *target = at;
                }
            }
        }
    }

    /// <summary>The offset of the first greatest element (or first NaN) of a window inside the image.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Greatest<T>(T* window, int width, int rows, int columns)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int at = 0;
        T best = window[0];
        for (int kh = 0; kh < rows; kh++)
        {
            for (int kw = 0; kw < columns; kw++)
            {
                int offset = (kh * width) + kw;
                T v = window[offset];
                // Integer masks, not branches: which element wins is data, and mispredicted branches cost more.
                int take = (v > best ? 1 : 0) | ((T.IsNaN(v) ? 1 : 0) & (T.IsNaN(best) ? 0 : 1));
                at += (offset - at) & -take;
                // What later elements are compared with, in a register: NaN stays, and ±0 compare alike.
                best = T.Max(best, v);
            }
        }
        return at;
    }
}

/// <summary>Chunked max-pooling positions: items are image planes (see <see cref="CpuRoutines.MaxPoolingIndices{T}"/>).
/// </summary>
internal readonly unsafe struct MaxPoolingBody<T>(Address<T> x, Address<int> indices, WindowGeometry g) : ICpuBody
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public void Run(long start, long count) => CpuRoutines.MaxPoolingIndices<T>(x, indices, g, start, count);
}

/// <summary>Chunked im2col: items are rows of the column matrix (see <see cref="CpuRoutines.Im2col{T}"/>).</summary>
internal readonly unsafe struct Im2colBody<T>(Address<T> x, Address<T> col, WindowGeometry g) : ICpuBody
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public void Run(long start, long count) => CpuRoutines.Im2col<T>(x, col, g, start, count);
}

/// <summary>Chunked col2im: items are image planes (see <see cref="CpuRoutines.Col2im{T}"/>).</summary>
internal readonly unsafe struct Col2imBody<T>(Address<T> col, Address<T> x, WindowGeometry g) : ICpuBody
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public void Run(long start, long count) => CpuRoutines.Col2im<T>(col, x, g, start, count);
}
