namespace AutoDiff.Gpu.Layers;

/// <summary>
/// DeZero's <c>L.Conv2d</c>: <see cref="F.Conv2d(Variable, Variable, Variable?, ValueTuple{int, int}, ValueTuple{int, int})"/>
/// with filters W (OC, C, KH, KW) drawn on the device from a normal distribution of standard deviation √(1/(C·KH·KW))
/// and a bias b of zeros. Without the input channels (or a device), W is made on the first call from x (N, C, H, W).
/// </summary>
public sealed class Conv2d : Layer
{
    private readonly Slot w;
    private readonly Slot? b;
    private readonly int outChannels;
    private readonly (int H, int W) kernel, stride, pad;

    /// <summary>A layer of <paramref name="outChannels"/> filters of <paramref name="kernel"/>; W is made now when <paramref name="inChannels"/> and <paramref name="device"/> are given, else on the first call.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size or stride is not positive, or the padding negative.</exception>
    public Conv2d(int outChannels, (int H, int W) kernel, (int H, int W) stride, (int H, int W) pad, bool noBias = false, int? inChannels = null, DType dtype = Device.DefaultDType, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outChannels);
        Functions.Windows.CheckSizes(nameof(Conv2d), kernel, stride, pad);
        if (inChannels is { } c)
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(c, nameof(inChannels));
        (this.outChannels, this.kernel, this.stride, this.pad) = (outChannels, kernel, stride, pad);
        w = Parameter("W", inChannels is { } channels && device is not null ? Filters(device, channels, dtype) : null);
        if (!noBias)
            b = Parameter("b", device is not null ? new Variable(device.Zeros(new Shape(outChannels), dtype), "b") : null);
    }

    /// <summary>A layer of square kernels, strides and paddings.</summary>
    public Conv2d(int outChannels, int kernel, int stride = 1, int pad = 0, bool noBias = false, int? inChannels = null, DType dtype = Device.DefaultDType, Device? device = null)
        : this(outChannels, (kernel, kernel), (stride, stride), (pad, pad), noBias, inChannels, dtype, device)
    {
    }

    /// <summary>W (OC, C, KH, KW), or null before the first call.</summary>
    public Variable? W => w.Value;

    /// <summary>b (OC,), or null without a bias or before the first call.</summary>
    public Variable? B => b?.Value;

    /// <inheritdoc/>
    protected override Variable Forward(Variable[] inputs)
    {
        var x = OneInput(inputs);
        if (x.NDim != 4)
            throw new ArgumentException($"{nameof(Conv2d)}: x must be (N, C, H, W), not {x.Shape}", nameof(inputs));
        return MakingParameters(() =>
        {
            var device = x.Data.Device;
            w.Value ??= Filters(device, x.Shape[1], x.DType);
            if (b is not null)
                b.Value ??= new Variable(device.Zeros(new Shape(outChannels), x.DType), "b");
            return F.Conv2d(x, w.Value, b?.Value, stride, pad);
        });
    }

    private Variable Filters(Device device, int inChannels, DType dtype) =>
        new(device.Random.Normal(new Shape(outChannels, inChannels, kernel.H, kernel.W), dtype, std: Math.Sqrt(1.0 / (inChannels * kernel.H * kernel.W))), "W");
}
