namespace AutoDiff.Gpu.Layers;

/// <summary>Moving a layer between devices (DeZero's <c>to_gpu</c> and <c>to_cpu</c>).</summary>
public abstract partial class Layer
{
    /// <summary>
    /// Moves every parameter and buffer of this layer and its sublayers to <paramref name="device"/> in place
    /// (<see cref="Variable.To(Device)"/>), as DeZero's <c>to_gpu</c>/<c>to_cpu</c>, and returns the layer. The
    /// parameters stay the same objects, so an optimizer keeps working; parameters not made yet are made on the
    /// first call, on the input's device. A state kept between calls (a recurrent one) is reset.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The device, a parameter or a buffer was disposed.</exception>
    public Layer To(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        device.ThrowIfDisposed();
        foreach (var (_, parameter) in NamedParams())
            parameter.To(device);
        var layers = new List<Layer>();
        Walk(layers, null, null, static (layers, _, layer) => layers.Add(layer));
        foreach (var layer in layers.Distinct<Layer>(ReferenceEqualityComparer.Instance))
        {
            foreach (var (_, slot) in layer.buffers)
            {
                if (slot.Value is { } buffer && !buffer.Device.SharesAcceleratorWith(device))
                {
                    slot.Value = buffer.To(device);
                    buffer.Dispose();
                }
            }
            layer.MovedTo(device);
        }
        return this;
    }

    /// <summary>
    /// Called by <see cref="To"/> on this layer and each sublayer after the move: drop device state here.
    /// </summary>
    protected virtual void MovedTo(Device device)
    {
    }
}
