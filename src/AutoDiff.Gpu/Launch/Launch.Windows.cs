using System.Numerics;
using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu;

// Windows of images: im2col and col2im in launches of their own, where the device has them.
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

    /// <summary>im2col from x into cols, or (adjoint) col2im from cols into x.</summary>
    private readonly record struct WindowBody(Tensor X, Tensor Cols, WindowGeometry G, bool Adjoint) : IBody
    {
        public void Run<T>(KernelLibrary kernels)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (Adjoint)
                kernels.Col2im(Cols.View<T>(), X.View<T>(), G);
            else
                kernels.Im2col(X.View<T>(), Cols.View<T>(), G);
        }
    }
}
