using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AutoDiff.Gpu.Kernels;

/// <summary>
/// The column matrix of one padded image transposed, as a right operand R (C·KH·KW × columns): depth k = (c, kh,
/// kw), one column per window (see <see cref="PaddedImage{T}"/>); packed straight from the image, never stored whole.
/// </summary>
internal readonly unsafe struct WindowColumns<T>(PaddedImage<T> image, int strideW) : IRightPanels<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public void Pack<TVector, TSimd>(T* packed, int j0, int width, int p0, int depth)
        where TVector : struct
        where TSimd : struct, ITileSimd<T, TVector>
    {
        int tileColumns = 2 * TSimd.Lanes;
        if (image.Pitched)
        {
            PackPitched<TVector, TSimd>(packed, j0, width, p0, depth);
            return;
        }
        Span<WindowRun> runs = stackalloc WindowRun[tileColumns];
        for (int s = 0; s * tileColumns < width; s++)
        {
            int columns = Math.Min(tileColumns, width - (s * tileColumns));
            int count = image.Sources(j0 + (s * tileColumns), columns, runs);
            T* target = packed + (s * tileColumns * CpuRoutines.PanelDepth);
            var elements = image.Elements(p0);
            for (int p = 0; p < depth; p++, target += tileColumns, elements.Next())
            {
                T* element = elements.Current;
                foreach (var run in runs[..count])
                    CpuRoutines.CopyRun(element + run.Source, strideW, target + run.Target, run.Count);
                if (columns < tileColumns)
                    new Span<T>(target + columns, tileColumns - columns).Clear();
            }
        }
    }

    /// <summary>Strides of 1: each packed row of a sliver is one run of the padded image.</summary>
    private void PackPitched<TVector, TSimd>(T* packed, int j0, int width, int p0, int depth)
        where TVector : struct
        where TSimd : struct, ITileSimd<T, TVector>
    {
        int lanes = TSimd.Lanes, tileColumns = 2 * lanes;
        // Offsets of the depths' elements, found once for every sliver.
        long* offsets = stackalloc long[CpuRoutines.PanelDepth];
        var elements = image.Elements(p0);
        for (int p = 0; p < depth; p++, elements.Next())
            offsets[p] = elements.Current - image.Origin;
        for (int s = 0; s * tileColumns < width; s++)
        {
            int columns = Math.Min(tileColumns, width - (s * tileColumns));
            T* from = image.Origin + j0 + (s * tileColumns);
            T* target = packed + (s * tileColumns * CpuRoutines.PanelDepth);
            for (int p = 0; p < depth; p++, target += tileColumns)
            {
                if (columns == tileColumns)
                {
                    TSimd.Store(TSimd.Load(from + offsets[p]), target);
                    TSimd.Store(TSimd.Load(from + offsets[p] + lanes), target + lanes);
                    continue;
                }
                CpuRoutines.CopyRun(from + offsets[p], 1, target, columns);
                new Span<T>(target + columns, tileColumns - columns).Clear();
            }
        }
    }
}

/// <summary>
/// The column matrix of one padded image, as a left operand L (C·KH·KW × columns) packed by rows: row k = (c, kh,
/// kw), depth q a column; zero at the columns that are no window, unless the image is <c>finite</c>: the right
/// operand's zeros there then add exact zeros.
/// </summary>
internal readonly unsafe struct WindowRows<T>(PaddedImage<T> image, int strideW, bool finite) : ILeftPanels<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public bool ByRows => true;

    public void Pack<TVector, TSimd>(T* packed, int i0, int height, int p0, int depth)
        where TVector : struct
        where TSimd : struct, ITileSimd<T, TVector>
    {
        Span<WindowRun> sources = stackalloc WindowRun[CpuRoutines.PanelDepth];
        Span<WindowRun> windows = stackalloc WindowRun[CpuRoutines.PanelDepth];
        int count = image.Sources(p0, depth, sources), real = finite ? 0 : image.Dense(p0, depth, windows);
        int tiles = (height + TSimd.TileRows - 1) / TSimd.TileRows;
        var elements = image.Elements(i0);
        for (int r = 0; r < tiles * TSimd.TileRows; r++, elements.Next())
        {
            T* target = packed + (r * CpuRoutines.PanelRowStride);
            if (r >= height)
            {
                new Span<T>(target, depth).Clear();
                continue;
            }
            T* element = elements.Current;
            foreach (var run in sources[..count])
                CpuRoutines.CopyRun(element + run.Source, strideW, target + run.Target, run.Count);
            if (!finite)
                CpuRoutines.ClearBetween(target, depth, windows[..real]);
        }
    }
}

/// <summary>
/// col2im of finished tiles of the column matrix's transpose (rows k = (c, kh, kw), one column per window): adds
/// each element of a window into the padded image where im2col read it. Pitched, where the columns that are no
/// window hold exact zeros (<c>zeros</c>: finite filters and zero gradients there), whole rows are added.
/// </summary>
internal readonly unsafe struct WindowScatter<T>(PaddedImage<T> image, int strideW, bool zeros) : ITileSink<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public void Store(T* tile, int tileColumns, (int I0, int Count) down, (int J0, int Count) across)
    {
        Span<WindowRun> runs = stackalloc WindowRun[tileColumns];
        if (zeros && image.Pitched)
        {
            var rows = image.Elements(down.I0);
            for (int r = 0; r < down.Count; r++, tile += tileColumns, rows.Next())
                CpuRoutines.AddRun(tile, rows.Current + across.J0, 1, across.Count);
            return;
        }
        // Pitched, a column's window starts at the column's index: the real ones are added, the others dropped.
        bool pitched = image.Pitched;
        int count = pitched ? image.Dense(across.J0, across.Count, runs) : image.Sources(across.J0, across.Count, runs);
        var elements = image.Elements(down.I0);
        for (int r = 0; r < down.Count; r++, tile += tileColumns, elements.Next())
        {
            T* element = elements.Current;
            foreach (var run in runs[..count])
            {
                long source = pitched ? across.J0 + run.Target : run.Source;
                CpuRoutines.AddRun(tile + run.Target, element + source, strideW, run.Count);
            }
        }
    }
}

/// <summary>
/// A convolution's output gradient gy[n] (F, OH·OW) as a right operand R (F × columns): depth f, one column per
/// window of the padded image's layout (<see cref="PaddedImage{T}"/>), zero where a column is no window.
/// </summary>
internal readonly unsafe struct DenseColumns<T>(T* gy, PaddedImage<T> image, int windows) : IRightPanels<T>
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
            int count = image.Dense(j0 + (s * tileColumns), Math.Min(tileColumns, width - (s * tileColumns)), runs);
            T* target = packed + (s * tileColumns * CpuRoutines.PanelDepth);
            for (int p = 0; p < depth; p++, target += tileColumns)
            {
                T* row = gy + ((long)(p0 + p) * windows);
                foreach (var run in runs[..count])
                    CpuRoutines.CopyRun(row + run.Source, 1, target + run.Target, run.Count);
                CpuRoutines.ClearBetween(target, tileColumns, runs[..count]);
            }
        }
    }
}

/// <summary>
/// A convolution's output gradient transposed, gyᵀ (OH·OW, F), as a right operand R (columns × F): depth q a
/// column of the padded image's layout, zero where it is no window; column f.
/// </summary>
internal readonly unsafe struct DenseRows<T>(T* transposed, PaddedImage<T> image, int filters) : IRightPanels<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public void Pack<TVector, TSimd>(T* packed, int j0, int width, int p0, int depth)
        where TVector : struct
        where TSimd : struct, ITileSimd<T, TVector>
    {
        int tileColumns = 2 * TSimd.Lanes;
        Span<WindowRun> runs = stackalloc WindowRun[CpuRoutines.PanelDepth];
        int count = image.Dense(p0, depth, runs);
        for (int s = 0; s * tileColumns < width; s++)
        {
            T* target = packed + (s * tileColumns * CpuRoutines.PanelDepth);
            int first = j0 + (s * tileColumns), columns = Math.Min(tileColumns, width - (s * tileColumns));
            CpuRoutines.ClearBetween(target, depth, runs[..count], tileColumns);
            foreach (var run in runs[..count])
            {
                T* from = transposed + (run.Source * filters) + first, to = target + (run.Target * tileColumns);
                for (int i = 0; i < run.Count; i++, from += filters, to += tileColumns)
                {
                    CpuRoutines.CopyRun(from, 1, to, columns);
                    if (columns < tileColumns)
                        new Span<T>(to + columns, tileColumns - columns).Clear();
                }
            }
        }
    }
}

/// <summary>
/// A convolution's output y[n] (F, OH·OW) as the sink of tiles of rows f, one column per window of the padded
/// image's layout: y[f, window] becomes the sum, plus bias[f] where there is a bias.
/// </summary>
internal readonly unsafe struct DenseSink<T>(T* y, T* bias, PaddedImage<T> image, int windows) : ITileSink<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public void Store(T* tile, int tileColumns, (int I0, int Count) down, (int J0, int Count) across)
    {
        Span<WindowRun> runs = stackalloc WindowRun[tileColumns];
        int count = image.Dense(across.J0, across.Count, runs);
        for (int r = 0; r < down.Count; r++, tile += tileColumns)
        {
            int f = down.I0 + r;
            T* row = y + ((long)f * windows);
            foreach (var run in runs[..count])
            {
                if (bias != null)
                    CpuRoutines.AddRun(tile + run.Target, row + run.Source, bias[f], run.Count);
                else
                    CpuRoutines.CopyRun(tile + run.Target, 1, row + run.Source, run.Count);
            }
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
                    Vector512.Store(Vector512.Load(from + i) + Vector512.Load(to + i), to + i);
            }
            for (; i + Vector256<T>.Count <= count; i += Vector256<T>.Count)
                Vector256.Store(Vector256.Load(from + i) + Vector256.Load(to + i), to + i);
            for (; i + Vector128<T>.Count <= count; i += Vector128<T>.Count)
                Vector128.Store(Vector128.Load(from + i) + Vector128.Load(to + i), to + i);
        }
        for (; i < count; i++)
            to[i * stride] = from[i] + to[i * stride];
    }

    /// <summary>to[i] = from[i] + value for i &lt; count, in vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddRun<T>(T* from, T* to, T value, int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + Vector512<T>.Count <= count; i += Vector512<T>.Count)
                Vector512.Store(Vector512.Load(from + i) + Vector512.Create(value), to + i);
        }
        for (; i + Vector256<T>.Count <= count; i += Vector256<T>.Count)
            Vector256.Store(Vector256.Load(from + i) + Vector256.Create(value), to + i);
        for (; i + Vector128<T>.Count <= count; i += Vector128<T>.Count)
            Vector128.Store(Vector128.Load(from + i) + Vector128.Create(value), to + i);
        for (; i < count; i++)
            to[i] = from[i] + value;
    }

    /// <summary>
    /// Zeros the elements [0, length) of a row outside the runs' targets (runs in order), each element
    /// <paramref name="scale"/> elements of the row.
    /// </summary>
    public static void ClearBetween<T>(T* row, int length, ReadOnlySpan<WindowRun> runs, int scale = 1)
        where T : unmanaged
    {
        int at = 0;
        foreach (var run in runs)
        {
            Zero(row + ((long)at * scale), (run.Target - at) * scale);
            at = run.Target + run.Count;
        }
        Zero(row + ((long)at * scale), (length - at) * scale);
    }

    /// <summary>
    /// Whether <paramref name="count"/> elements are all finite: x − x is 0 for them, NaN for ±∞ and NaN.
    /// </summary>
    public static bool AllFinite<T>(T* x, long count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var vectors = Vector<T>.Zero;
        long i = 0;
        for (; i + Vector<T>.Count <= count; i += Vector<T>.Count)
        {
            var v = Vector.Load(x + i);
            vectors += v - v;
        }
        T scalar = T.Zero;
        for (; i < count; i++)
            scalar += x[i] - x[i];
        return T.IsFinite(scalar + Vector.Sum(vectors));
    }

    /// <summary>
    /// Zeros <paramref name="count"/> elements; short runs (the gaps between windows) with plain stores.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Zero<T>(T* at, int count)
        where T : unmanaged
    {
        if (count > 16)
        {
            new Span<T>(at, count).Clear();
            return;
        }
        for (int i = 0; i < count; i++)
            at[i] = default;
    }
}
