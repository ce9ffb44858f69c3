namespace AutoDiff.Gpu.Functions;

/// <summary>
/// Average pooling on the CPU accelerator, one launch: forward <c>y = the mean of each window</c> of x (N, C, H, W),
/// the zeros of the padding counted; backward <c>gx = poolᵀ(gy)</c> (<see cref="AveragePoolingTranspose"/>). Both
/// are linear, each the other's backward: every order stays one launch.
/// </summary>
internal sealed class AveragePooling(Windows windows) : Function
{
    /// <inheritdoc/>
    protected override int Arity => 1;

    /// <inheritdoc/>
    protected override Tensor[] Forward(Tensor[] xs) =>
        [Launch.AveragePooling(xs[0], windows.For(xs[0].Shape[0]), adjoint: false)];

    /// <inheritdoc/>
    protected override Variable?[] Backward(Variable[] gys) =>
        [new AveragePoolingTranspose(windows, Input(0).Shape[0]).Call(gys[0])[0]];
}

/// <summary>
/// The adjoint of <see cref="AveragePooling"/>: forward <c>gx[n, c, h, w] = Σ gy[n, c, oh, ow] / (KH·KW)</c> over the
/// windows that hold (h, w); backward <c>ggy = pool(ggx)</c>.
/// </summary>
internal sealed class AveragePoolingTranspose(Windows windows, int images) : Function
{
    /// <inheritdoc/>
    protected override int Arity => 1;

    /// <inheritdoc/>
    protected override Tensor[] Forward(Tensor[] xs) =>
        [Launch.AveragePooling(xs[0], windows.For(images), adjoint: true)];

    /// <inheritdoc/>
    protected override Variable?[] Backward(Variable[] gys) => [new AveragePooling(windows).Call(gys[0])[0]];
}
