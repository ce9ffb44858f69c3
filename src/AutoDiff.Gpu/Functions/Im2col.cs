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
        return [Launch.Im2col(x, windows.For(x.Shape[0]))];
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
    protected override Tensor[] Forward(Tensor[] xs) => [Launch.Col2im(xs[0], windows.For(images))];

    /// <inheritdoc/>
    protected override Variable?[] Backward(Variable[] gys) => [new Im2col(windows).Call(gys[0])[0]];
}
