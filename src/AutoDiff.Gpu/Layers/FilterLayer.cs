namespace AutoDiff.Gpu.Layers;

/// <summary>
/// What DeZero's <c>Conv2d</c> and <c>Deconv2d</c> layers share: filters W drawn on the device from a normal
/// distribution of standard deviation √(1/(C·KH·KW)), C the input channels, and a bias b (OC,) of zeros.
/// Without the input channels (or a device), W is made on the first call from x (N, C, H, W), as DeZero does.
/// </summary>
public abstract class FilterLayer : Layer
{
    private readonly Slot w;
    private readonly Slot? b;
    private readonly int outChannels;
    private readonly (int H, int W) kernel;
    private readonly bool transposed;

    /// <summary>
    /// A layer of <paramref name="outChannels"/> filters of <paramref name="kernel"/>, laid out (C, OC, KH, KW)
    /// when <paramref name="transposed"/>, else (OC, C, KH, KW); W is made now given the channels and a device.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">
    /// A size or stride is not positive, or the padding negative.
    /// </exception>
    private protected FilterLayer(
        bool transposed, int outChannels, (int H, int W) kernel, (int H, int W) stride, (int H, int W) pad,
        bool noBias, int? inChannels, DType dtype, Device? device)
    {
        string name = transposed ? nameof(Deconv2d) : nameof(Conv2d);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outChannels);
        Functions.Windows.CheckSizes(name, kernel, stride, pad);
        if (inChannels is { } c)
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(c, nameof(inChannels));
        (this.transposed, this.outChannels, this.kernel, Stride, Pad) = (transposed, outChannels, kernel, stride, pad);
        w = Parameter("W", inChannels is { } channels && device is not null ? Filters(device, channels, dtype) : null);
        if (!noBias)
            b = Parameter("b", device is not null ? Bias(device, dtype) : null);
    }

    /// <summary>W, or null before the first call.</summary>
    public Variable? W => w.Value;

    /// <summary>b (OC,), or null without a bias or before the first call.</summary>
    public Variable? B => b?.Value;

    /// <summary>The stride (SH, SW).</summary>
    public (int H, int W) Stride { get; }

    /// <summary>The zero padding (PH, PW).</summary>
    public (int H, int W) Pad { get; }

    /// <inheritdoc/>
    protected sealed override Variable Forward(Variable[] inputs)
    {
        var x = OneInput(inputs);
        if (x.NDim != 4)
            throw new ArgumentException($"{GetType().Name}: x must be (N, C, H, W), not {x.Shape}", nameof(inputs));
        return MakingParameters(() =>
        {
            var device = x.Data.Device;
            w.Value ??= Filters(device, x.Shape[1], x.DType);
            if (b is not null)
                b.Value ??= Bias(device, x.DType);
            return Apply(x, w.Value, b?.Value);
        });
    }

    /// <summary>The layer's function of x with its filters and bias.</summary>
    private protected abstract Variable Apply(Variable x, Variable filters, Variable? bias);

    private Layers.Parameter Filters(Device device, int inChannels, DType dtype)
    {
        var shape = transposed
            ? new Shape(inChannels, outChannels, kernel.H, kernel.W)
            : new Shape(outChannels, inChannels, kernel.H, kernel.W);
        double std = Math.Sqrt(1.0 / (inChannels * kernel.H * kernel.W));
        return new(device.Random.Normal(shape, dtype, std: std), "W");
    }

    private Layers.Parameter Bias(Device device, DType dtype) => new(device.Zeros(new Shape(outChannels), dtype), "b");
}
