namespace AutoDiff.Gpu.Layers;

/// <summary>
/// A layer's buffers: state saved with its weights but never trained, as BatchNorm's running statistics.
/// </summary>
public abstract partial class Layer
{
    private readonly List<(string Name, BufferSlot Slot)> buffers = [];

    /// <summary>
    /// Every buffer of this layer and its sublayers that exists yet, with its path (<c>bn/avg_mean</c>).
    /// </summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers() =>
        BufferSlots().Where(b => b.Slot.Value is not null).Select(b => (b.Name, b.Slot.Value!));

    /// <summary>
    /// Registers a buffer named <paramref name="name"/> (null until it is created) and returns its slot.
    /// </summary>
    protected BufferSlot Buffer(string name)
    {
        CheckName(name);
        var slot = new BufferSlot();
        buffers.Add((name, slot));
        return slot;
    }

    /// <summary>
    /// Every buffer slot with its path, made or not: this layer's, then its sublayers' in the order registered.
    /// </summary>
    private IEnumerable<(string Name, BufferSlot Slot)> BufferSlots()
    {
        foreach (var b in buffers)
            yield return b;
        foreach (var (name, _, layer) in members)
        {
            if (layer is not null)
            {
                foreach (var (inner, slot) in layer.BufferSlots())
                    yield return (Join(name, inner), slot);
            }
        }
    }

    /// <summary>Where a layer keeps one buffer (null until created).</summary>
    protected sealed class BufferSlot
    {
        private Tensor? buffer;

        /// <summary>
        /// The buffer, or null before it is created; it belongs to the layer, never to a <see cref="TensorScope"/>.
        /// </summary>
        public Tensor? Value
        {
            get => Volatile.Read(ref buffer);
            set => Volatile.Write(ref buffer, value is null ? null : TensorScope.Detach(value));
        }
    }
}
