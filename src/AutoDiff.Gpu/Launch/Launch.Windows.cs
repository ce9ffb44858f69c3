using System.Numerics;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu;

// Windows of images: im2col, col2im and convolutions in launches of their own, where the device has them.
internal static partial class Launch
{
    /// <summary>
    /// Whether <paramref name="device"/> computes im2col and col2im in launches of their own (the CPU accelerator),
    /// which find each window's offsets as they go; GPUs gather and scatter by offsets instead.
    /// </summary>
    public static bool HasWindowKernels(Device device) => device.Kernels.HasWindowKernels;

    /// <summary>A new (N·OH·OW, C·KH·KW) tensor: the windows of the images x (N, C, H, W) as rows.</summary>
    public static Tensor Im2col(Tensor x, WindowGeometry g)
    {
        var y = x.Device.Empty(new Shape(g.N * g.OH * g.OW, g.Column), x.DType);
        Run(x.Device, x.DType, new WindowBody(x, y, g, Adjoint: false));
        GC.KeepAlive(x);
        return y;
    }

    /// <summary>A new (N, C, H, W) tensor: every element the sum of the window elements of cols that read it.</summary>
    public static Tensor Col2im(Tensor cols, WindowGeometry g)
    {
        var x = cols.Device.Empty(new Shape(g.N, g.C, g.H, g.W), cols.DType);
        Run(cols.Device, cols.DType, new WindowBody(x, cols, g, Adjoint: true));
        GC.KeepAlive(cols);
        return x;
    }

    /// <summary>
    /// A new (N, F, OH, OW) tensor: x (N, C, H, W) convolved with the filters w (F, C, KH, KW), plus the bias b (F,)
    /// when given; the column matrix is never stored (CPU accelerator).
    /// </summary>
    public static Tensor Convolution(string name, Tensor x, Tensor w, Tensor? b, WindowGeometry g)
    {
        CheckCompatible(name, x, w);
        if (b is not null)
            CheckCompatible(name, x, b);
        int filters = w.Shape[0];
        var y = x.Device.Empty(new Shape(g.N, filters, g.OH, g.OW), x.DType);
        Run(x.Device, x.DType, new ConvolutionBody(x, w, b, y, g, filters, ConvolutionPart.Output));
        GC.KeepAlive(x);
        GC.KeepAlive(w);
        GC.KeepAlive(b);
        return y;
    }

    /// <summary>A new (N, C, H, W) tensor: the gradient in x of the convolution with w for gy (N, F, OH, OW).</summary>
    public static Tensor ConvolutionInputGradient(string name, Tensor gy, Tensor w, WindowGeometry g)
    {
        CheckCompatible(name, gy, w);
        var gx = gy.Device.Empty(new Shape(g.N, g.C, g.H, g.W), gy.DType);
        Run(gy.Device, gy.DType, new ConvolutionBody(gx, w, null, gy, g, w.Shape[0], ConvolutionPart.Input));
        GC.KeepAlive(gy);
        GC.KeepAlive(w);
        return gx;
    }

    /// <summary>A new (F, C, KH, KW) tensor: the gradient in the filters of the convolution of x for gy.</summary>
    public static Tensor ConvolutionFilterGradient(string name, Tensor x, Tensor gy, WindowGeometry g)
    {
        CheckCompatible(name, x, gy);
        int filters = gy.Shape[1];
        var gw = x.Device.Empty(new Shape(filters, g.C, g.KH, g.KW), x.DType);
        Run(x.Device, x.DType, new ConvolutionBody(x, gw, null, gy, g, filters, ConvolutionPart.Filters));
        GC.KeepAlive(x);
        GC.KeepAlive(gy);
        return gw;
    }

    /// <summary>
    /// A new (N, C, OH, OW) tensor: the mean of each window of each channel of x (N, C, H, W), padding included; with
    /// <paramref name="adjoint"/>, a new (N, C, H, W) tensor: the adjoint applied to x (N, C, OH, OW).
    /// </summary>
    public static Tensor AveragePooling(Tensor x, WindowGeometry g, bool adjoint)
    {
        var y = x.Device.Empty(adjoint ? new Shape(g.N, g.C, g.H, g.W) : new Shape(g.N, g.C, g.OH, g.OW), x.DType);
        var body = adjoint
            ? new WindowBody(y, x, g, Adjoint: true, Average: true)
            : new WindowBody(x, y, g, Adjoint: false, Average: true);
        Run(x.Device, x.DType, body);
        GC.KeepAlive(x);
        return y;
    }

    /// <summary>
    /// The positions of max pooling on the device: for each window of each channel of x (N, C, H, W), the offset in x
    /// of its first greatest element or first NaN, <see cref="int.MaxValue"/> for a zero of the padding.
    /// </summary>
    public static IndexBuffer MaxPoolingIndices(Tensor x, WindowGeometry g)
    {
        var indices = new IndexBuffer(x.Device, checked(g.N * g.C * g.OH * g.OW));
        Run(x.Device, x.DType, new PoolingBody(x, indices, g));
        GC.KeepAlive(x);
        return indices;
    }

    private readonly record struct PoolingBody(Tensor X, IndexBuffer Indices, WindowGeometry G) : IBody
    {
        public void Run<T>(KernelLibrary kernels)
            where T : unmanaged, IFloatingPointIeee754<T> =>
            kernels.MaxPoolingIndices(X.View<T>(), Indices.View, G);
    }

    /// <summary>Which of a convolution's three products a launch computes.</summary>
    private enum ConvolutionPart
    {
        Output,
        Input,
        Filters,
    }

    /// <summary>The convolution of x by w (plus b) into y, or the gradient in x or in w from y's gradient.</summary>
    private readonly record struct ConvolutionBody(
        Tensor X, Tensor W, Tensor? B, Tensor Y, WindowGeometry G, int Filters, ConvolutionPart Part) : IBody
    {
        public void Run<T>(KernelLibrary kernels)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            switch (Part)
            {
                case ConvolutionPart.Output:
                    var bias = B is null ? default : B.View<T>();
                    kernels.Convolution(X.View<T>(), W.View<T>(), bias, Y.View<T>(), G, Filters);
                    break;
                case ConvolutionPart.Input:
                    kernels.ConvolutionInputGradient(Y.View<T>(), W.View<T>(), X.View<T>(), G, Filters);
                    break;
                default:
                    kernels.ConvolutionFilterGradient(X.View<T>(), Y.View<T>(), W.View<T>(), G, Filters);
                    break;
            }
        }
    }

    /// <summary>
    /// im2col from x into y (the columns), or (adjoint) col2im from y into x; with <c>Average</c>, average pooling of
    /// x into y, or (adjoint) its gradient from y into x.
    /// </summary>
    private readonly record struct WindowBody(Tensor X, Tensor Y, WindowGeometry G, bool Adjoint, bool Average = false)
        : IBody
    {
        public void Run<T>(KernelLibrary kernels)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (Average && Adjoint)
                kernels.AveragePoolingGradient(Y.View<T>(), X.View<T>(), G);
            else if (Average)
                kernels.AveragePooling(X.View<T>(), Y.View<T>(), G);
            else if (Adjoint)
                kernels.Col2im(Y.View<T>(), X.View<T>(), G);
            else
                kernels.Im2col(X.View<T>(), Y.View<T>(), G);
        }
    }
}
