using AutoDiff.Gpu.Kernels;

namespace AutoDiff.Gpu.Functions;

/// <summary>
/// im2col on the CPU accelerator: forward <c>y = im2col(x)</c>, (N, C, H, W) to (N·OH·OW, C·KH·KW), one launch
/// that computes each window's offsets in its loop (no offsets are uploaded); backward <c>gx = col2im(gy)</c>
/// (<see cref="Col2im"/>). GPUs gather by offsets instead (<see cref="Take"/>).
/// </summary>
internal sealed class Im2col(Windows windows) : Function
{
    /// <inheritdoc/>
    protected override int Arity => 1;

    /// <inheritdoc/>
    protected override Tensor[] Forward(Tensor[] xs)
    {
        var x = xs[0];
        var g = windows.For(x.Shape[0]);
        var y = x.Device.Empty(new Shape(g.N * g.OH * g.OW, g.Column), x.DType);
        WindowLaunch.Run(
            x.Device,
            x.DType,
            kernels => kernels.Im2col(x.View<float>(), y.View<float>(), g),
            kernels => kernels.Im2col(x.View<double>(), y.View<double>(), g));
        GC.KeepAlive(x);
        return [y];
    }

    /// <inheritdoc/>
    protected override Variable?[] Backward(Variable[] gys) => [new Col2im(windows, Input(0).Shape[0]).Call(gys[0])[0]];
}

/// <summary>
/// col2im on the CPU accelerator: forward <c>x = col2im(cols)</c>, (N·OH·OW, C·KH·KW) to (N, C, H, W), each
/// element the sum of the window elements that read it, added in window order (no atomics); backward
/// <c>gcols = im2col(gx)</c> (<see cref="Im2col"/>).
/// </summary>
internal sealed class Col2im(Windows windows, int images) : Function
{
    /// <inheritdoc/>
    protected override int Arity => 1;

    /// <inheritdoc/>
    protected override Tensor[] Forward(Tensor[] xs)
    {
        var cols = xs[0];
        var g = windows.For(images);
        var x = cols.Device.Empty(new Shape(images, g.C, g.H, g.W), cols.DType);
        WindowLaunch.Run(
            cols.Device,
            cols.DType,
            kernels => kernels.Col2im(cols.View<float>(), x.View<float>(), g),
            kernels => kernels.Col2im(cols.View<double>(), x.View<double>(), g));
        GC.KeepAlive(cols);
        return [x];
    }

    /// <inheritdoc/>
    protected override Variable?[] Backward(Variable[] gys) => [new Im2col(windows).Call(gys[0])[0]];
}

/// <summary>Runs a window launch for the element type under the device's launch lock.</summary>
internal static class WindowLaunch
{
    public static void Run(Device device, DType dtype, Action<KernelLibrary> float32, Action<KernelLibrary> float64)
    {
        using (device.EnterLaunch())
            (dtype == DType.Float32 ? float32 : float64)(device.Kernels);
    }
}
