using System.Numerics;
using ILGPU;

namespace AutoDiff.Gpu.Kernels;

// Convolutions on the CPU accelerator: products whose column matrix is packed from the images panel by panel.
public sealed unsafe partial class KernelLibrary
{
    /// <summary>
    /// Launches <c>y = conv(x, w) + bias</c>: x (N, C, H, W) with <paramref name="filters"/> filters w (F, C, KH, KW)
    /// over the windows <paramref name="g"/>, y (N, F, OH, OW), the bias (F,) optional (an empty view). Each element
    /// is one chain of fused multiply-adds over (c, kh, kw) in order, then plus its bias. The column matrix is never
    /// stored. CPU accelerator (<see cref="KernelStyle.Chunked"/>) only, as <see cref="Im2col{T}"/>.
    /// </summary>
    /// <exception cref="NotSupportedException">The library is not chunked.</exception>
    public void Convolution<T>(ArrayView<T> x, ArrayView<T> w, ArrayView<T> bias, ArrayView<T> y, WindowGeometry g,
        int filters)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckConvolution(x, w, y, g, filters, nameof(Convolution));
        if (bias.Length != 0)
            CheckLength(bias, filters, nameof(bias));
        int threads = ConvolutionThreads(g, filters);
        var plan = new ConvolutionPlan(g, filters, OutputBlocks(g, threads), 1, CpuVectorBits);
        var b = bias.Length == 0 ? default : Pointer(bias);
        var operands = new ConvolutionOperands<T>(Pointer(x), Pointer(w), b, Pointer(y));
        RunConvolution(ConvolutionPart.Output, operands, plan, (long)g.N * plan.Blocks, threads);
    }

    /// <summary>
    /// Launches the gradient of <see cref="Convolution{T}"/> in x: <paramref name="gx"/> (N, C, H, W) gets, at each
    /// element, Σ w[f, c, kh, kw]·gy[n, f, oh, ow] over the windows that read it (its former content is not read).
    /// Strides of 1 with paddings below the kernel: the convolution of gy by the flipped filters, one chain per
    /// element. Otherwise each window's column is one chain over f, added into gx tile by tile.
    /// </summary>
    /// <exception cref="NotSupportedException">The library is not chunked.</exception>
    public void ConvolutionInputGradient<T>(ArrayView<T> gy, ArrayView<T> w, ArrayView<T> gx, WindowGeometry g,
        int filters)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckConvolution(gx, w, gy, g, filters, nameof(ConvolutionInputGradient));
        int threads = ConvolutionThreads(g, filters);
        if (g.SH == 1 && g.SW == 1 && g.PH < g.KH && g.PW < g.KW)
        {
            // The adjoint of a stride-1 convolution is a convolution of gy by the flipped filters: no scatter.
            var adjoint = new WindowGeometry(
                g.N, filters, g.OH, g.OW, g.KH, g.KW, 1, 1, g.KH - 1 - g.PH, g.KW - 1 - g.PW);
            var flipped = new ConvolutionPlan(adjoint, g.C, OutputBlocks(adjoint, threads), 1, CpuVectorBits);
            var transposed = new ConvolutionOperands<T>(Pointer(gx), Pointer(w), default, Pointer(gy));
            RunConvolution(ConvolutionPart.Transposed, transposed, flipped, (long)g.N * flipped.Blocks, threads);
            return;
        }
        int groups = (int)Math.Max(1, Math.Min(g.C, Ceiling(threads, Math.Max(1, g.N))));
        var plan = new ConvolutionPlan(g, filters, 1, groups, CpuVectorBits);
        var operands = new ConvolutionOperands<T>(Pointer(gx), Pointer(w), default, Pointer(gy));
        RunConvolution(ConvolutionPart.Input, operands, plan, (long)g.N * groups, threads);
    }

    /// <summary>
    /// Launches the gradient of <see cref="Convolution{T}"/> in w: <paramref name="gw"/> (F, C, KH, KW) gets
    /// Σ gy[n, f, oh, ow]·x[n, c, oh·SH + kh − PH, ow·SW + kw − PW], one chain of fused multiply-adds over
    /// (n, oh, ow) in order, from 0 (its former content is not read).
    /// </summary>
    /// <exception cref="NotSupportedException">The library is not chunked.</exception>
    public void ConvolutionFilterGradient<T>(ArrayView<T> x, ArrayView<T> gy, ArrayView<T> gw, WindowGeometry g,
        int filters)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckConvolution(x, gw, gy, g, filters, nameof(ConvolutionFilterGradient));
        if (g.N == 0)
        {
            Fill(gw, T.Zero);
            return;
        }
        int threads = ConvolutionThreads(g, filters);
        int rows = CpuRoutines.TileRows(CpuVectorBits);
        int groups = (int)Math.Max(1, Math.Min(threads, Ceiling(g.Column, rows)));
        var plan = new ConvolutionPlan(g, filters, 1, groups, CpuVectorBits);
        var operands = new ConvolutionOperands<T>(Pointer(x), Pointer(gw), default, Pointer(gy));
        RunConvolution(ConvolutionPart.Filters, operands, plan, groups, threads);
    }

    private void RunConvolution<T>(
        ConvolutionPart part, ConvolutionOperands<T> operands, ConvolutionPlan plan, long items, int threads)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        RunChunked(new ConvolutionBody<T>(part, operands, plan), items, (int)Math.Min(threads, items),
            Kernels.CpuLaunch.FineChunksPerThread);

    /// <summary>Blocks of windows per image in a forward: about two items per thread, blocks of 64 windows or more.
    /// </summary>
    private static int OutputBlocks(WindowGeometry g, int threads) =>
        (int)Math.Max(1, Math.Min(g.OH * g.OW / 64, Ceiling(2 * threads, Math.Max(1, g.N))));

    /// <summary>Threads for a convolution's multiply-adds.</summary>
    private int ConvolutionThreads(WindowGeometry g, int filters) =>
        ChunkedThreads(long.MaxValue, (long)g.N * g.OH * g.OW * g.Column * filters / 32);

    private void CheckConvolution<T>(ArrayView<T> x, ArrayView<T> w, ArrayView<T> y, WindowGeometry g, int filters,
        string name)
        where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfNegative(filters);
        CheckGeometry(g, name);
        CheckLength(x, g.ImageLength, nameof(x));
        CheckLength(w, (long)filters * g.Column, nameof(w));
        CheckLength(y, (long)g.N * filters * g.OH * g.OW, nameof(y));
        Enter();
    }
}
