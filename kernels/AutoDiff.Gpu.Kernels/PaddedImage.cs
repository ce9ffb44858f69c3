using System.Numerics;
using System.Runtime.CompilerServices;

namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// A run of a convolution's columns: <see cref="Count"/> of them, from <see cref="Target"/> on in a packed row,
/// whose windows start at <see cref="Source"/> (in the padded image, or in a dense (OH·OW) plane).
/// </summary>
internal readonly record struct WindowRun(long Source, int Target, int Count);

/// <summary>
/// Images padded with their zeros, (channels, H + 2·PH, W + 2·PW), from channel <c>firstChannel</c> on, and the
/// columns of a convolution over them. Window (oh, ow) reads element (c, kh, kw) at (c, oh·SH + kh, ow·SW + kw),
/// with no bounds to test. With strides of 1 (<see cref="Pitched"/>) column q is the window at offset q of the
/// padded plane, q = oh·(W + 2·PW) + ow: a run of columns is one run of memory, and the columns with
/// ow ≥ OW are computed and dropped. Otherwise column q is window q of the (OH, OW) grid.
/// </summary>
internal readonly unsafe struct PaddedImage<T>(T* origin, WindowGeometry g, int firstChannel)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public int Width => g.W + (2 * g.PW);

    public long Plane => (long)(g.H + (2 * g.PH)) * Width;

    public T* Origin => origin;

    /// <summary>Whether both strides are 1: columns follow the padded image's rows.</summary>
    public bool Pitched => g.SH == 1 && g.SW == 1;

    /// <summary>Elements (c, kh, kw) of the window at source 0 from row k of the column matrix's transpose on.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public WindowElements<T> Elements(int k)
    {
        int window = g.KH * g.KW, c = k / window, kh = k % window / g.KW, kw = k % g.KW;
        return new WindowElements<T>(origin + ((c - firstChannel) * Plane) + (kh * Width) + kw, Width, Plane, g, kh, kw);
    }

    /// <summary>Columns [first, first + count) as runs of windows in the padded image; returns how many.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Sources(int first, int count, Span<WindowRun> runs)
    {
        if (Pitched)
        {
            runs[0] = new WindowRun(first, 0, count);
            return 1;
        }
        int n = 0, ow1 = g.OW;
        for (int p = first; p < first + count;)
        {
            int oh = p / ow1, ow = p % ow1, length = Math.Min(ow1 - ow, first + count - p);
            runs[n++] = new WindowRun((oh * g.SH * (long)Width) + (ow * g.SW), p - first, length);
            p += length;
        }
        return n;
    }

    /// <summary>The real windows among columns [first, first + count), as runs in an (OH·OW) plane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Dense(int first, int count, Span<WindowRun> runs)
    {
        if (!Pitched)
        {
            runs[0] = new WindowRun(first, 0, count);
            return 1;
        }
        int n = 0, width = Width, ow1 = g.OW;
        for (int q = first; q < first + count;)
        {
            int oh = q / width, ow = q % width, length = Math.Min(width - ow, first + count - q);
            if (ow < ow1)
                runs[n++] = new WindowRun((oh * ow1) + ow, q - first, Math.Min(length, ow1 - ow));
            q += length;
        }
        return n;
    }

    /// <summary>Copies channels [firstChannel, firstChannel + count) of image x (C, H, W) in, zeros around.</summary>
    // Optimized from the first call: at tier 0 its copies are calls, and a convolution fills an image per item.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Fill(T* x, int count)
    {
        int width = Width, height = g.H + (2 * g.PH);
        for (int c = 0; c < count; c++)
        {
            T* source = x + ((long)(firstChannel + c) * g.H * g.W);
            T* plane = origin + (c * Plane);
            CpuRoutines.Zero(plane, g.PH * width);
            CpuRoutines.Zero(plane + ((g.PH + g.H) * width), g.PH * width);
            for (int h = 0; h < g.H; h++)
            {
                T* row = plane + ((h + g.PH) * width);
                CpuRoutines.Zero(row, g.PW);
                CpuRoutines.CopyRun(source + (h * g.W), 1, row + g.PW, g.W);
                CpuRoutines.Zero(row + g.PW + g.W, g.PW);
            }
        }
    }

    /// <summary>Copies the inside of channels [firstChannel, firstChannel + count) out to image x (C, H, W).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Crop(T* x, int count)
    {
        for (int c = 0; c < count; c++)
        {
            T* target = x + ((long)(firstChannel + c) * g.H * g.W);
            for (int h = 0; h < g.H; h++)
                CpuRoutines.CopyRun(origin + (c * Plane) + ((h + g.PH) * Width) + g.PW, 1, target + (h * g.W), g.W);
        }
    }
}

/// <summary>
/// Where element (c, kh, kw) of the window at source 0 lies in a padded image, stepped through (c, kh, kw) in order
/// without divisions.
/// </summary>
internal unsafe struct WindowElements<T>(T* at, int width, long plane, WindowGeometry g, int kh, int kw)
    where T : unmanaged
{
    /// <summary>The current element.</summary>
    public readonly T* Current => at;

    /// <summary>Moves to the next (c, kh, kw).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Next()
    {
        at++;
        if (++kw < g.KW)
            return;
        at += width - g.KW;
        kw = 0;
        if (++kh < g.KH)
            return;
        at += plane - (g.KH * (long)width);
        kh = 0;
    }
}
