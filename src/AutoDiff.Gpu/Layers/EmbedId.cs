namespace AutoDiff.Gpu.Layers;

/// <summary>
/// DeZero's <c>L.EmbedID</c>: a table W (inSize, outSize) drawn from the standard normal distribution, as DeZero's
/// <c>randn</c>, whose rows are looked up by integer ids (<see cref="F.EmbedId(int[], Variable)"/>); the gradient
/// adds into the rows read. W is float32 unless asked (DeZero's <c>randn</c> gives float64). Without a device, W is
/// made on the first call with ids on a device.
/// </summary>
public sealed class EmbedId : Layer
{
    private readonly Slot w;
    private readonly int inSize, outSize;
    private readonly DType dtype;

    /// <summary>
    /// A table of <paramref name="inSize"/> ids by <paramref name="outSize"/> values; made now given a device.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public EmbedId(int inSize, int outSize, Device? device = null, DType dtype = Device.DefaultDType)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outSize);
        (this.inSize, this.outSize, this.dtype) = (inSize, outSize, dtype);
        w = Parameter("W", device is null ? null : Table(device));
    }

    /// <summary>W (inSize, outSize), or null before it is made.</summary>
    public Variable? W => w.Value;

    /// <summary>The rows of W for <paramref name="ids"/>, (ids.Length, outSize).</summary>
    /// <exception cref="InvalidOperationException">W is not made yet (no device was given).</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside [−inSize, inSize).</exception>
    public Variable Call(int[] ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var table = W ?? throw new InvalidOperationException(
            $"{nameof(EmbedId)}: W is not made yet: give the layer a device, or call it once with ids on a device");
        return F.EmbedId(ids, table);
    }

    /// <summary>
    /// The rows of W for ids on the device: their shape followed by outSize. W is made on their device if need be.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The ids' range leaves [−inSize, inSize).</exception>
    public Variable Call(IndexTensor ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return MakingParameters(() => F.EmbedId(ids, w.Value ??= Table(ids.Device)));
    }

    /// <inheritdoc/>
    protected override Variable Forward(Variable[] inputs) => throw new ArgumentException(
        $"{nameof(EmbedId)} looks up integer ids: call it with an int[] or an IndexTensor, not a Variable",
        nameof(inputs));

    private Parameter Table(Device device) => new(device.Random.Normal(new Shape(inSize, outSize), dtype), "W");
}
