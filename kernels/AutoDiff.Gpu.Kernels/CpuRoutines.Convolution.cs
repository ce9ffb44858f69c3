using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AutoDiff.Gpu.Kernels;

internal static unsafe partial class CpuRoutines
{
    /// <summary>
    /// Items [start, start + count) of one of a convolution's products (<see cref="ConvolutionPart"/>), with register
    /// tiles of the plan's width.
    /// </summary>
    public static void Convolution<T>(
        ConvolutionPart part, ConvolutionOperands<T> o, ConvolutionPlan plan, long start, long count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (plan.VectorBits)
        {
            case 512:
                Convolution<T, Vector512<T>, TileSimd512<T>>(part, o, plan, start, count);
                break;
            case 256:
                Convolution<T, Vector256<T>, TileSimd256<T>>(part, o, plan, start, count);
                break;
            default:
                Convolution<T, Vector128<T>, TileSimd128<T>>(part, o, plan, start, count);
                break;
        }
    }

    private static void Convolution<T, TVector, TSimd>(
        ConvolutionPart part, ConvolutionOperands<T> o, ConvolutionPlan plan, long start, long count)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TSimd : struct, ITileSimd<T, TVector>
    {
        switch (part)
        {
            case ConvolutionPart.Output:
                Output<T, TVector, TSimd>(o.X, o.W, o.Bias, o.Y, plan, start, count, flip: false);
                break;
            case ConvolutionPart.Transposed:
                Output<T, TVector, TSimd>(o.Y, o.W, null, o.X, plan, start, count, flip: true);
                break;
            case ConvolutionPart.Input:
                InputGradient<T, TVector, TSimd>(o.Y, o.W, o.X, plan, start, count);
                break;
            default:
                FilterGradient<T, TVector, TSimd>(o.X, o.Y, o.W, plan, start, count);
                break;
        }
    }

    /// <summary>
    /// Items [start, start + count), (n, block of windows) each, of y = conv(x, w) + bias: image n is padded, then
    /// y[n] (F × OH·OW) = w (F × C·KH·KW) · columns of image n, packed from the padded image panel by panel, plus
    /// the bias. With <paramref name="flip"/>, w holds filters (C, F, KH, KW) that are first flipped and
    /// transposed into (F, C, KH, KW): the convolution is then the adjoint of the one w gives.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Output<T, TVector, TSimd>(
        T* x, T* w, T* bias, T* y, ConvolutionPlan plan, long start, long count, bool flip)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TSimd : struct, ITileSimd<T, TVector>
    {
        var g = plan.G;
        int windows = plan.Windows, depth = g.Column;
        long scratch = ScratchSize<T>(plan.Filters, plan.BlockColumns, depth, plan.VectorBits);
        long padded = plan.PaddedLength(g.C);
        using var panels = new Panels<T>(scratch, padded + (flip ? (long)plan.Filters * depth : 0));
        if (flip)
        {
            Flip(w, panels.Packed.Extra + padded, g, plan.Filters);
            w = panels.Packed.Extra + padded;
        }
        var filters = new StridedPanels<T>(w, depth, 1);
        var image = new PaddedImage<T>(panels.Packed.Extra, g, 0);
        long filled = -1;
        for (long item = start; item < start + count; item++)
        {
            long n = item / plan.Blocks;
            int first = (int)(item % plan.Blocks) * plan.BlockColumns;
            int last = Math.Min(plan.Columns, first + plan.BlockColumns);
            if (first >= last)
                continue;
            if (filled != n)
                image.Fill(x + (n * g.C * g.H * g.W), g.C);
            filled = n;
            var sink = new DenseSink<T>(y + (n * plan.Filters * windows), bias, image, windows);
            var columns = new WindowColumns<T>(image, g.SW);
            Block<T, TVector, TSimd, StridedPanels<T>, WindowColumns<T>, DenseSink<T>>(
                panels.Packed, filters, columns, sink, new BlockBounds(0, plan.Filters, first, last, depth));
        }
    }

    /// <summary>
    /// flipped[f, c, kh, kw] = w[c, f, KH − 1 − kh, KW − 1 − kw] for <paramref name="filters"/> filters over g.C
    /// channels: the filters of the adjoint of a stride-1 convolution by w.
    /// </summary>
    private static void Flip<T>(T* w, T* flipped, WindowGeometry g, int filters)
        where T : unmanaged
    {
        int window = g.KH * g.KW;
        for (int f = 0; f < filters; f++)
        {
            for (int c = 0; c < g.C; c++)
            {
                T* from = w + ((((long)c * filters) + f) * window), to = flipped + ((((long)f * g.C) + c) * window);
                for (int k = 0; k < window; k++)
                    to[k] = from[window - 1 - k];
            }
        }
    }

    /// <summary>
    /// Items [start, start + count), (n, group of channels) each, of gx = the adjoint of the convolution for gy:
    /// the columns' gradient wᵀ·gy[n] is computed tile by tile and each tile added at once into a padded image
    /// (col2im), whose inside is then gx[n]'s channels.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InputGradient<T, TVector, TSimd>(
        T* gy, T* w, T* gx, ConvolutionPlan plan, long start, long count)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TSimd : struct, ITileSimd<T, TVector>
    {
        var g = plan.G;
        int windows = plan.Windows, window = g.KH * g.KW, perGroup = (g.C + plan.Groups - 1) / plan.Groups;
        // wᵀ: row k = (c, kh, kw) is column k of w.
        var filters = new StridedPanels<T>(w, 1, g.Column);
        bool finite = true;
        for (long i = 0; i < (long)plan.Filters * g.Column && finite; i++)
            finite = T.IsFinite(w[i]);
        long scratch = ScratchSize<T>(perGroup * window, plan.Columns, plan.Filters, plan.VectorBits);
        using var panels = new Panels<T>(scratch, plan.PaddedLength(perGroup));
        for (long item = start; item < start + count; item++)
        {
            long n = item / plan.Groups;
            int c0 = (int)(item % plan.Groups) * perGroup, channels = Math.Min(perGroup, g.C - c0);
            if (channels <= 0)
                continue;
            var image = new PaddedImage<T>(panels.Packed.Extra, g, c0);
            new Span<T>(image.Origin, (int)plan.PaddedLength(channels)).Clear();
            var gradients = new DenseColumns<T>(gy + (n * plan.Filters * windows), image, windows);
            var bounds = new BlockBounds(c0 * window, (c0 + channels) * window, 0, plan.Columns, plan.Filters);
            Block<T, TVector, TSimd, StridedPanels<T>, DenseColumns<T>, WindowScatter<T>>(
                panels.Packed, filters, gradients, new WindowScatter<T>(image, g.SW, finite), bounds);
            image.Crop(gx + (n * g.C * g.H * g.W), channels);
        }
    }

    /// <summary>
    /// Items [start, start + count), groups of rows (c, kh, kw) each, of gw = Σₙ gy[n]·columns(x[n])ᵀ, as
    /// gwᵀ = Σₙ columns(x[n])·gy[n]ᵀ: each element one chain of fused multiply-adds over (n, oh, ow) in order,
    /// from 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FilterGradient<T, TVector, TSimd>(
        T* x, T* gy, T* gw, ConvolutionPlan plan, long start, long count)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : struct
        where TSimd : struct, ITileSimd<T, TVector>
    {
        var g = plan.G;
        int tileRows = TSimd.TileRows, tileColumns = 2 * TSimd.Lanes, tileSize = tileRows * tileColumns;
        int windows = plan.Windows, window = g.KH * g.KW;
        int perGroup = RoundUp((g.Column + plan.Groups - 1) / plan.Groups, tileRows);
        int slivers = (plan.Filters + tileColumns - 1) / tileColumns;
        int panelColumns = PanelColumns<T>(plan.VectorBits), panelRows = LeftPanelTiles * tileRows;
        // Depth panels of equal size: no short last panel per image.
        int columns = plan.Columns, depthPanels = (columns + PanelDepth - 1) / PanelDepth;
        int panelDepth = (columns + depthPanels - 1) / depthPanels;
        int channels = Math.Min(g.C, ((perGroup + window - 2) / window) + 1);
        long padded = plan.PaddedLength(channels);
        long transposed = (long)windows * plan.Filters;
        using var panels = new Panels<T>((long)perGroup * slivers * tileColumns, padded + transposed);
        var packed = panels.Packed;
        for (long item = start; item < start + count; item++)
        {
            int k0 = (int)item * perGroup, k1 = Math.Min(g.Column, k0 + perGroup);
            if (k0 >= k1)
                continue;
            int c0 = k0 / window, c1 = ((k1 - 1) / window) + 1;
            var image = new PaddedImage<T>(packed.Extra, g, c0);
            for (long n = 0; n < g.N; n++)
            {
                image.Fill(x + (n * g.C * g.H * g.W), c1 - c0);
                bool finite = AllFinite(x + (((n * g.C) + c0) * g.H * g.W), (long)(c1 - c0) * g.H * g.W);
                var rows = new WindowRows<T>(image, g.SW, finite);
                Transpose(gy + (n * plan.Filters * windows), windows, plan.Filters, windows, packed.Extra + padded,
                    plan.Filters);
                var gradients = new DenseRows<T>(packed.Extra + padded, image, plan.Filters);
                for (int pc = 0; pc < columns; pc += panelDepth)
                {
                    int depth = Math.Min(panelDepth, columns - pc);
                    for (int jc = 0; jc < plan.Filters; jc += panelColumns)
                    {
                        int width = Math.Min(panelColumns, plan.Filters - jc);
                        gradients.Pack<TVector, TSimd>(packed.Right, jc, width, pc, depth);
                        for (int ic = k0; ic < k1; ic += panelRows)
                        {
                            int height = Math.Min(panelRows, k1 - ic);
                            rows.Pack<TVector, TSimd>(packed.Left, ic, height, pc, depth);
                            for (int t = 0; t * tileRows < height; t++)
                            {
                                int tileHeight = Math.Min(tileRows, height - (t * tileRows));
                                T* panel = packed.Left + (t * tileRows * PanelRowStride);
                                T* sums = packed.Scratch + (((ic - k0) / tileRows) + t) * slivers * tileSize;
                                for (int s = 0; s * tileColumns < width; s++)
                                {
                                    T* tile = sums + (((jc / tileColumns) + s) * tileSize);
                                    T* sliver = packed.Right + (s * tileColumns * PanelDepth);
                                    RegisterTile<T, TVector, TSimd, PanelByRows>(
                                        tileHeight, panel, sliver, tile, depth, n != 0 || pc != 0);
                                }
                            }
                        }
                    }
                }
            }
            // gwᵀ[k, f] is gw[f, k].
            var sink = new StridedSink<T>(gw, 1, g.Column, T.One, T.Zero);
            for (int t = 0; k0 + (t * tileRows) < k1; t++)
            {
                for (int s = 0; s < slivers; s++)
                {
                    T* tile = packed.Scratch + (((t * slivers) + s) * tileSize);
                    int i0 = k0 + (t * tileRows), j0 = s * tileColumns;
                    var across = (j0, Math.Min(tileColumns, plan.Filters - j0));
                    Finish(tile, tileColumns, sink, (i0, Math.Min(tileRows, k1 - i0)), across);
                }
            }
        }
    }
}

/// <summary>Which of a convolution's products a launch computes.</summary>
internal enum ConvolutionPart
{
    /// <summary>y = conv(x, w) + bias; items are blocks of windows of an image.</summary>
    Output,

    /// <summary>
    /// x = convᵀ(y, w) as the convolution of y with w flipped (strides 1, paddings below the kernel's): the plan's
    /// windows are y's, its filters x's channels; items are blocks of windows of an image.
    /// </summary>
    Transposed,

    /// <summary>x = convᵀ(y, w), the gradient in x for y; items are groups of channels of an image.</summary>
    Input,

    /// <summary>w = convw(x, y), the gradient in w for y; items are groups of rows (c, kh, kw).</summary>
    Filters,
}

/// <summary>A convolution's images x, filters w, optional bias and output y (or their gradients).</summary>
internal readonly unsafe record struct ConvolutionOperands<T>(Address<T> X, Address<T> W, Address<T> Bias, Address<T> Y)
    where T : unmanaged;

/// <summary>Chunked convolution product (see <see cref="CpuRoutines.Convolution{T}"/>).</summary>
internal readonly struct ConvolutionBody<T>(ConvolutionPart part, ConvolutionOperands<T> operands, ConvolutionPlan plan)
    : ICpuBody
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public void Run(long start, long count) => CpuRoutines.Convolution(part, operands, plan, start, count);
}
