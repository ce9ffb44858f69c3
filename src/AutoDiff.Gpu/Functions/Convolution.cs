namespace AutoDiff.Gpu.Functions;

/// <summary>
/// conv2d on the CPU accelerator, one launch: forward <c>y = conv(x, w) + b</c>, x (N, C, H, W), w (F, C, KH, KW),
/// b (F,) optional, y (N, F, OH, OW), with no column matrix stored; backward <c>gx = convᵀ(gy, w)</c>
/// (<see cref="ConvolutionTranspose"/>), <c>gw = convw(x, gy)</c> (<see cref="ConvolutionFilterGradient"/>) and
/// <c>gb = Σ gy</c> over (N, OH, OW). The three functions' backwards are one another: every order stays one
/// launch each.
/// </summary>
internal sealed class Convolution(Windows windows) : Function
{
    /// <inheritdoc/>
    public override string Name => nameof(Convolution);

    /// <inheritdoc/>
    protected override Tensor[] Forward(Tensor[] xs) =>
        [Launch.Convolution(Name, xs[0], xs[1], xs.Length > 2 ? xs[2] : null, windows.For(xs[0].Shape[0]))];

    /// <inheritdoc/>
    protected override Variable?[] Backward(Variable[] gys)
    {
        Variable x = Input(0), w = Input(1), gy = gys[0];
        var gx = new ConvolutionTranspose(windows, x.Shape[0]).Call(gy, w)[0];
        var gw = new ConvolutionFilterGradient(windows).Call(x, gy)[0];
        return Inputs.Count > 2 ? [gx, gw, F.Sum(gy, [0, 2, 3])] : [gx, gw];
    }
}

/// <summary>
/// The adjoint of <see cref="Convolution"/> in x: forward <c>gx = convᵀ(gy, w)</c>, gx[n, c, h, w] = Σ w[f, c, kh,
/// kw]·gy[n, f, oh, ow] over the windows that read (h, w); linear in both, so backward <c>ggy = conv(ggx, w)</c> and
/// <c>gw = convw(ggx, gy)</c>.
/// </summary>
internal sealed class ConvolutionTranspose(Windows windows, int images) : Function
{
    /// <inheritdoc/>
    protected override int Arity => 2;

    /// <inheritdoc/>
    protected override Tensor[] Forward(Tensor[] xs) =>
        [Launch.ConvolutionInputGradient(Name, xs[0], xs[1], windows.For(images))];

    /// <inheritdoc/>
    protected override Variable?[] Backward(Variable[] gys)
    {
        Variable gy = Input(0), w = Input(1), ggx = gys[0];
        return [new Convolution(windows).Call(ggx, w)[0], new ConvolutionFilterGradient(windows).Call(ggx, gy)[0]];
    }
}

/// <summary>
/// The gradient of <see cref="Convolution"/> in w: forward <c>gw = convw(x, gy)</c>, gw[f, c, kh, kw] = Σ gy[n, f,
/// oh, ow]·x[n, c, oh·SH + kh − PH, ow·SW + kw − PW]; linear in both, so backward
/// <c>gx = convᵀ(gy, ggw)</c> and <c>ggy = conv(x, ggw)</c>.
/// </summary>
internal sealed class ConvolutionFilterGradient(Windows windows) : Function
{
    /// <inheritdoc/>
    protected override int Arity => 2;

    /// <inheritdoc/>
    protected override Tensor[] Forward(Tensor[] xs) =>
        [Launch.ConvolutionFilterGradient(Name, xs[0], xs[1], windows.For(xs[0].Shape[0]))];

    /// <inheritdoc/>
    protected override Variable?[] Backward(Variable[] gys)
    {
        Variable x = Input(0), gy = Input(1), ggw = gys[0];
        var gx = new ConvolutionTranspose(windows, x.Shape[0]).Call(gy, ggw)[0];
        return [gx, new Convolution(windows).Call(x, ggw)[0]];
    }
}
