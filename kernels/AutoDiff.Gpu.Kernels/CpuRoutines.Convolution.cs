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
