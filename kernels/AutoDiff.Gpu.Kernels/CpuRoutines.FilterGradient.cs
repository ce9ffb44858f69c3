using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AutoDiff.Gpu.Kernels;

internal static unsafe partial class CpuRoutines
{
    /// <summary>Rows (c, kh, kw) of one item of a filter gradient: a whole number of register tiles.</summary>
    public static int FilterRows(ConvolutionPlan plan) =>
        RoundUp((plan.G.Column + plan.Groups - 1) / plan.Groups, TileRows(plan.VectorBits));

    /// <summary>
    /// Elements of a filter gradient's partial sums: every item's tiles, kept between batches of images.
    /// </summary>
    public static long FilterSums<T>(ConvolutionPlan plan)
        where T : unmanaged =>
        (long)plan.Groups * FilterRows(plan) * RoundUp(plan.Filters, TileColumns<T>(plan.VectorBits));

    /// <summary>Elements of one image's packed output gradient (see <see cref="PackGradients{T}"/>).</summary>
    public static long GradientsLength<T>(ConvolutionPlan plan)
        where T : unmanaged =>
        (long)RoundUp(plan.Filters, TileColumns<T>(plan.VectorBits)) * plan.Columns;

    /// <summary>
    /// Images [start, start + count) of <paramref name="batch"/>: gy[n] (F, OH·OW) transposed into the right operand
    /// of the filter gradient, slivers of two vectors of filters, each (columns, sliver width): column q of the
    /// padded layout (<see cref="PaddedImage{T}"/>), zero where q is no window or the filter is past F.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackGradients<T>(
        T* gy, T* packed, ConvolutionPlan plan, ImageBatch batch, long start, long count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = plan.G;
        int windows = plan.Windows, columns = plan.Columns, width = TileColumns<T>(plan.VectorBits);
        var layout = new PaddedImage<T>(null, g, 0);
        Span<WindowRun> runs = stackalloc WindowRun[PanelDepth];
        for (long item = start; item < start + count; item++)
        {
            T* from = gy + ((batch.First + item) * plan.Filters * windows);
            T* to = packed + (item * GradientsLength<T>(plan));
            for (int f0 = 0; f0 < plan.Filters; f0 += width, to += (long)columns * width)
            {
                int filters = Math.Min(width, plan.Filters - f0);
                for (int p0 = 0; p0 < columns; p0 += PanelDepth)
                {
                    int real = layout.Dense(p0, Math.Min(PanelDepth, columns - p0), runs);
                    T* panel = to + ((long)p0 * width);
                    ClearBetween(panel, Math.Min(PanelDepth, columns - p0), runs[..real], width);
                    foreach (var run in runs[..real])
                    {
                        T* target = panel + ((long)run.Target * width);
                        Transpose(from + ((long)f0 * windows) + run.Source, windows, filters, run.Count, target, width);
                        for (int q = 0; q < run.Count && filters < width; q++)
                            Zero(target + ((long)q * width) + filters, width - filters);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Items [start, start + count), groups of rows (c, kh, kw) each, of gw = Σₙ gy[n]·columns(x[n])ᵀ over the images
    /// of <paramref name="batch"/>, as gwᵀ = Σₙ columns(x[n])·gy[n]ᵀ with gy packed (<see cref="PackGradients{T}"/>):
    /// each element one chain of fused multiply-adds over (n, oh, ow) in order, from 0, kept in the partial sums
    /// between batches and stored to gw after the last.
    /// </summary>
    public static void FilterGradient<T>(
        FilterGradientOperands<T> o, ConvolutionPlan plan, ImageBatch batch, long start, long count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (plan.VectorBits)
        {
            case 512:
                FilterGradient<T, Vector512<T>, TileSimd512<T>>(o, plan, batch, start, count);
                break;
            case 256:
                FilterGradient<T, Vector256<T>, TileSimd256<T>>(o, plan, batch, start, count);
                break;
            default:
                FilterGradient<T, Vector128<T>, TileSimd128<T>>(o, plan, batch, start, count);
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FilterGradient<T, TVector, TSimd>(
        FilterGradientOperands<T> o, ConvolutionPlan plan, ImageBatch batch, long start, long count)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TSimd : struct, ITileSimd<T, TVector>
    {
        var g = plan.G;
        int tileRows = TSimd.TileRows, tileColumns = 2 * TSimd.Lanes, tileSize = tileRows * tileColumns;
        int window = g.KH * g.KW, perGroup = FilterRows(plan), slivers = (plan.Filters + tileColumns - 1) / tileColumns;
        int panelColumns = PanelColumns<T>(plan.VectorBits), panelRows = LeftPanelTiles * tileRows;
        // Depth panels of equal size: no short last panel per image.
        int columns = plan.Columns, depthPanels = (columns + PanelDepth - 1) / PanelDepth;
        int panelDepth = (columns + depthPanels - 1) / depthPanels;
        int channels = Math.Min(g.C, ((perGroup + window - 2) / window) + 1);
        using var panels = new Panels<T>(0, plan.PaddedLength(channels));
        var packed = panels.Packed;
        for (long item = start; item < start + count; item++)
        {
            int k0 = (int)item * perGroup, k1 = Math.Min(g.Column, k0 + perGroup);
            if (k0 >= k1)
                continue;
            int c0 = k0 / window, c1 = ((k1 - 1) / window) + 1;
            T* sums = (T*)o.Sums + (item * perGroup * slivers * tileColumns);
            var image = new PaddedImage<T>(packed.Extra, g, c0);
            for (int i = 0; i < batch.Count; i++)
            {
                long n = batch.First + i;
                T* x = (T*)o.X + (((n * g.C) + c0) * g.H * g.W);
                image.Fill(x - ((long)c0 * g.H * g.W), c1 - c0);
                var rows = new WindowRows<T>(image, g.SW, AllFinite(x, (long)(c1 - c0) * g.H * g.W));
                T* gradients = (T*)o.Packed + (i * GradientsLength<T>(plan));
                for (int pc = 0; pc < columns; pc += panelDepth)
                {
                    int depth = Math.Min(panelDepth, columns - pc);
                    for (int jc = 0; jc < plan.Filters; jc += panelColumns)
                    {
                        int width = Math.Min(panelColumns, plan.Filters - jc);
                        for (int ic = k0; ic < k1; ic += panelRows)
                        {
                            int height = Math.Min(panelRows, k1 - ic);
                            rows.Pack<TVector, TSimd>(packed.Left, ic, height, pc, depth);
                            for (int t = 0; t * tileRows < height; t++)
                            {
                                int tileHeight = Math.Min(tileRows, height - (t * tileRows));
                                T* panel = packed.Left + (t * tileRows * PanelRowStride);
                                T* tiles = sums + ((((ic - k0) / tileRows) + t) * slivers * tileSize);
                                for (int s = jc / tileColumns; s * tileColumns < jc + width; s++)
                                {
                                    T* sliver = gradients + ((((long)s * columns) + pc) * tileColumns);
                                    RegisterTile<T, TVector, TSimd, PanelByRows>(
                                        tileHeight, panel, sliver, tiles + (s * tileSize), depth, n != 0 || pc != 0);
                                }
                            }
                        }
                    }
                }
            }
            if (batch.Last)
                FinishFilters(o.Gw, sums, plan, k0, k1, tileRows, tileColumns);
        }
    }

    /// <summary>gw[f, k] for rows k in [k0, k1): the finished tiles of gwᵀ.</summary>
    private static void FinishFilters<T>(
        T* gw, T* sums, ConvolutionPlan plan, int k0, int k1, int tileRows, int tileColumns)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int slivers = (plan.Filters + tileColumns - 1) / tileColumns, tileSize = tileRows * tileColumns;
        var sink = new StridedSink<T>(gw, 1, plan.G.Column, T.One, T.Zero);
        for (int t = 0; k0 + (t * tileRows) < k1; t++)
        {
            for (int s = 0; s < slivers; s++)
            {
                T* tile = sums + (((t * slivers) + s) * tileSize);
                int i0 = k0 + (t * tileRows), j0 = s * tileColumns;
                var across = (j0, Math.Min(tileColumns, plan.Filters - j0));
                Finish(tile, tileColumns, sink, (i0, Math.Min(tileRows, k1 - i0)), across);
            }
        }
    }
}

/// <summary>Images [First, First + Count) of a filter gradient; <see cref="Last"/>: the batch that stores gw.</summary>
internal readonly record struct ImageBatch(int First, int Count, bool Last);

/// <summary>A filter gradient's images x, output gradient gy, result gw, partial sums and packed gy.</summary>
internal readonly unsafe record struct FilterGradientOperands<T>(
    Address<T> X, Address<T> Gy, Address<T> Gw, Address<T> Sums, Address<T> Packed)
    where T : unmanaged;

/// <summary>Chunked packing of gy for a filter gradient: items are the images of the batch.</summary>
internal readonly struct GradientsBody<T>(FilterGradientOperands<T> o, ConvolutionPlan plan, ImageBatch batch)
    : ICpuBody
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public unsafe void Run(long start, long count) =>
        CpuRoutines.PackGradients<T>(o.Gy, o.Packed, plan, batch, start, count);
}

/// <summary>
/// Chunked filter gradient: items are groups of rows (c, kh, kw) (see <see cref="CpuRoutines.FilterGradient{T}"/>).
/// </summary>
internal readonly struct FilterGradientBody<T>(FilterGradientOperands<T> o, ConvolutionPlan plan, ImageBatch batch)
    : ICpuBody
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public void Run(long start, long count) => CpuRoutines.FilterGradient(o, plan, batch, start, count);
}
