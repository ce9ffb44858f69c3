using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// A run of windows of one output row: <see cref="Count"/> windows whose element (c, kh, kw) is read from
/// <see cref="Source"/> + the element's offset in a padded image, stride SW apart; they are columns
/// <see cref="Target"/> on of a packed row.
/// </summary>
internal readonly record struct WindowRun(long Source, int Target, int Count);

/// <summary>
/// Images padded with their zeros, (channels, H + 2·PH, W + 2·PW): the column matrix's element (c, kh, kw) of window
/// (oh, ow) is at (c, oh·SH + kh, ow·SW + kw), with no bounds to test.
/// </summary>
internal readonly unsafe struct PaddedImage<T>(T* origin, WindowGeometry g, int firstChannel)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public int Width => g.W + (2 * g.PW);

    public long Plane => (long)(g.H + (2 * g.PH)) * Width;

    public T* Origin => origin;

    /// <summary>Where element (c, kh, kw) of the window at the run's source 0 is: (c, kh, kw) from k.</summary>
    public T* Element(int k)
    {
        int window = g.KH * g.KW, c = k / window, kh = k % window / g.KW, kw = k % g.KW;
        return origin + ((c - firstChannel) * Plane) + (kh * Width) + kw;
    }

    /// <summary>Copies channels [c0, c0 + count) of image x (C, H, W) in, with zeros around.</summary>
    public void Fill(T* x, int count)
    {
        int width = Width, height = g.H + (2 * g.PH);
        for (int c = 0; c < count; c++)
        {
            T* source = x + ((long)(firstChannel + c) * g.H * g.W);
            for (int hp = 0; hp < height; hp++)
            {
                var row = new Span<T>(origin + (c * Plane) + (hp * width), width);
                int h = hp - g.PH;
                if (h < 0 || h >= g.H)
                {
                    row.Clear();
                    continue;
                }
                row[..g.PW].Clear();
                new ReadOnlySpan<T>(source + (h * g.W), g.W).CopyTo(row[g.PW..]);
                row[(g.PW + g.W)..].Clear();
            }
        }
    }

    /// <summary>Copies the inside of channels [c0, c0 + count) out to image x (C, H, W).</summary>
    public void Crop(T* x, int count)
    {
        for (int c = 0; c < count; c++)
        {
            T* target = x + ((long)(firstChannel + c) * g.H * g.W);
            for (int h = 0; h < g.H; h++)
            {
                T* row = origin + (c * Plane) + ((h + g.PH) * Width) + g.PW;
                new ReadOnlySpan<T>(row, g.W).CopyTo(new Span<T>(target + (h * g.W), g.W));
            }
        }
    }

    /// <summary>The runs of windows [first, first + count), (oh, ow) row-major; returns how many.</summary>
    public int Runs(int first, int count, Span<WindowRun> runs)
    {
        int n = 0;
        for (int p = first; p < first + count;)
        {
            int oh = p / g.OW, ow = p % g.OW, length = Math.Min(g.OW - ow, first + count - p);
            runs[n++] = new WindowRun((oh * g.SH * (long)Width) + (ow * g.SW), p - first, length);
            p += length;
        }
        return n;
    }
}

/// <summary>
/// The column matrix of one padded image transposed, as a right operand R (C·KH·KW × OH·OW): depth k = (c, kh,
/// kw), column p = (oh, ow); packed straight from the image, never stored whole.
/// </summary>
internal readonly unsafe struct WindowColumns<T>(PaddedImage<T> image, int strideW) : IRightPanels<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public void Pack<TVector, TSimd>(T* packed, int j0, int width, int p0, int depth)
        where TVector : struct
        where TSimd : struct, ITileSimd<T, TVector>
    {
        int tileColumns = 2 * TSimd.Lanes;
        Span<WindowRun> runs = stackalloc WindowRun[tileColumns];
        for (int s = 0; s * tileColumns < width; s++)
        {
            int columns = Math.Min(tileColumns, width - (s * tileColumns));
            int count = image.Runs(j0 + (s * tileColumns), columns, runs);
            T* target = packed + (s * tileColumns * CpuRoutines.PanelDepth);
            for (int p = 0; p < depth; p++, target += tileColumns)
            {
                T* element = image.Element(p0 + p);
                foreach (var run in runs[..count])
                    CpuRoutines.CopyRun(element + run.Source, strideW, target + run.Target, run.Count);
                if (columns < tileColumns)
                    new Span<T>(target + columns, tileColumns - columns).Clear();
            }
        }
    }
}

/// <summary>
/// The column matrix of one padded image, as a left operand L (C·KH·KW × OH·OW) packed by rows: row k = (c, kh,
/// kw), depth p = (oh, ow).
/// </summary>
internal readonly unsafe struct WindowRows<T>(PaddedImage<T> image, int strideW) : ILeftPanels<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public bool ByRows => true;

    public void Pack<TVector, TSimd>(T* packed, int i0, int height, int p0, int depth)
        where TVector : struct
        where TSimd : struct, ITileSimd<T, TVector>
    {
        Span<WindowRun> runs = stackalloc WindowRun[CpuRoutines.PanelDepth];
        int count = image.Runs(p0, depth, runs);
        int tiles = (height + TSimd.TileRows - 1) / TSimd.TileRows;
        for (int r = 0; r < tiles * TSimd.TileRows; r++)
        {
            T* target = packed + (r * CpuRoutines.PanelRowStride);
            if (r >= height)
            {
                new Span<T>(target, depth).Clear();
                continue;
            }
            T* element = image.Element(i0 + r);
            foreach (var run in runs[..count])
                CpuRoutines.CopyRun(element + run.Source, strideW, target + run.Target, run.Count);
        }
    }
}

/// <summary>
/// col2im of finished tiles of the column matrix's transpose (rows k = (c, kh, kw), columns p = (oh, ow)): adds each
/// element into the padded image where im2col read it.
/// </summary>
internal readonly unsafe struct WindowScatter<T>(PaddedImage<T> image, int strideW) : ITileSink<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public void Store(T* tile, int tileColumns, (int I0, int Count) down, (int J0, int Count) across)
    {
        Span<WindowRun> runs = stackalloc WindowRun[tileColumns];
        int count = image.Runs(across.J0, across.Count, runs);
        for (int r = 0; r < down.Count; r++, tile += tileColumns)
        {
            T* element = image.Element(down.I0 + r);
            foreach (var run in runs[..count])
                CpuRoutines.AddRun(tile + run.Target, element + run.Source, strideW, run.Count);
        }
    }
}

internal static unsafe partial class CpuRoutines
{
    /// <summary>to[i] = from[i·stride] for i &lt; count, in vectors where the stride is 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CopyRun<T>(T* from, int stride, T* to, int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (stride == 1)
        {
            if (Vector512.IsHardwareAccelerated)
            {
                for (; i + Vector512<T>.Count <= count; i += Vector512<T>.Count)
                    Vector512.Store(Vector512.Load(from + i), to + i);
            }
            for (; i + Vector256<T>.Count <= count; i += Vector256<T>.Count)
                Vector256.Store(Vector256.Load(from + i), to + i);
            for (; i + Vector128<T>.Count <= count; i += Vector128<T>.Count)
                Vector128.Store(Vector128.Load(from + i), to + i);
        }
        for (; i < count; i++)
            to[i] = from[i * stride];
    }

    /// <summary>to[i·stride] += from[i] for i &lt; count, in vectors where the stride is 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddRun<T>(T* from, T* to, int stride, int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (stride == 1)
        {
            if (Vector512.IsHardwareAccelerated)
            {
                for (; i + Vector512<T>.Count <= count; i += Vector512<T>.Count)
                    Vector512.Store(Vector512.Load(to + i) + Vector512.Load(from + i), to + i);
            }
            for (; i + Vector256<T>.Count <= count; i += Vector256<T>.Count)
                Vector256.Store(Vector256.Load(to + i) + Vector256.Load(from + i), to + i);
            for (; i + Vector128<T>.Count <= count; i += Vector128<T>.Count)
                Vector128.Store(Vector128.Load(to + i) + Vector128.Load(from + i), to + i);
        }
        for (; i < count; i++)
            to[i * stride] += from[i];
    }
}
