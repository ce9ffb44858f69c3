namespace AutoDiff.Gpu.Layers;

/// <summary>
/// DeZero's <c>L.Linear</c>: <c>y = x·W + b</c> with W (in, out) drawn from a normal distribution of standard deviation
/// √(1/in) on the device (<see cref="Device.Random"/>) and b zeros. Without an input size (or a device), W is made on
/// the first call, from x's last dimension, device and element type, as DeZero makes it.
/// </summary>
public sealed class Linear : Layer
{
    private readonly Slot w;
    private readonly Slot? b;
    private readonly int outSize;

    /// <summary>A layer of <paramref name="outSize"/> outputs; W is made now when <paramref name="inSize"/> and <paramref name="device"/> are given, else on the first call.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public Linear(int outSize, int? inSize = null, bool noBias = false, DType dtype = Device.DefaultDType, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outSize);
        if (inSize is { } size)
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size, nameof(inSize));
        this.outSize = outSize;
        w = Parameter("W", inSize is { } n && device is not null ? Weights(device, n, dtype) : null);
        if (!noBias)
            b = Parameter("b", device is not null ? new Variable(device.Zeros(new Shape(outSize), dtype), "b") : null);
    }

    /// <summary>W (in, out), or null before the first call.</summary>
    public Variable? W => w.Value;

    /// <summary>b (out,), or null without a bias or before the first call.</summary>
    public Variable? B => b?.Value;

    /// <inheritdoc/>
    protected override Variable Forward(Variable[] inputs)
    {
        var x = OneInput(inputs);
        if (x.NDim != 2)
            throw new ArgumentException($"{nameof(Linear)}: x must be (N, inputs), not shape {x.Shape}", nameof(inputs));
        return MakingParameters(() =>
        {
            var device = x.Data.Device;
            w.Value ??= Weights(device, x.Shape[1], x.DType);
            if (b is not null)
                b.Value ??= new Variable(device.Zeros(new Shape(outSize), x.DType), "b");
            return F.Linear(x, w.Value, b?.Value);
        });
    }

    private Variable Weights(Device device, int inSize, DType dtype) =>
        new(device.Random.Normal(new Shape(inSize, outSize), dtype, std: Math.Sqrt(1.0 / inSize)), "W");
}
