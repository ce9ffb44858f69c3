namespace AutoDiff.Gpu.Layers;

/// <summary>
/// DeZero's <c>L.Conv2d</c>:
/// <see cref="F.Conv2d(Variable, Variable, Variable?, ValueTuple{int, int}, ValueTuple{int, int})"/>
/// with filters W (OC, C, KH, KW) and a bias b (OC,), made as <see cref="FilterLayer"/> says.
/// </summary>
public sealed class Conv2d : FilterLayer
{
    /// <summary>
    /// A layer of <paramref name="outChannels"/> filters of <paramref name="kernel"/>; W is made now when
    /// <paramref name="inChannels"/> and <paramref name="device"/> are given, else on the first call.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">
    /// A size or stride is not positive, or the padding negative.
    /// </exception>
    public Conv2d(
        int outChannels, (int H, int W) kernel, (int H, int W) stride, (int H, int W) pad, bool noBias = false,
        int? inChannels = null, DType dtype = Device.DefaultDType, Device? device = null)
        : base(transposed: false, outChannels, kernel, stride, pad, noBias, inChannels, dtype, device)
    {
    }

    /// <summary>A layer of square kernels, strides and paddings (DeZero's defaults: stride 1, no padding).</summary>
    public Conv2d(
        int outChannels, int kernel, int stride = 1, int pad = 0, bool noBias = false, int? inChannels = null,
        DType dtype = Device.DefaultDType, Device? device = null)
        : this(outChannels, (kernel, kernel), (stride, stride), (pad, pad), noBias, inChannels, dtype, device)
    {
    }

    /// <inheritdoc/>
    private protected override Variable Apply(Variable x, Variable filters, Variable? bias) =>
        F.Conv2d(x, filters, bias, Stride, Pad);
}
